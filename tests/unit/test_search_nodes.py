"""The search service reaches Elasticsearch through one URL (the dev stack, a Kubernetes
Service) or through every node of a cluster, separated by commas (scripts/cluster.sh)."""
from services.search.adapters.index import VersionIndex, nodes


def test_one_url_is_one_node():
    assert nodes("http://127.0.0.1:9200") == ["http://127.0.0.1:9200"]


def test_a_comma_separated_list_is_every_node_in_its_order():
    assert nodes("http://127.0.0.1:9241, http://127.0.0.1:9242,http://127.0.0.1:9243,") == [
        "http://127.0.0.1:9241", "http://127.0.0.1:9242", "http://127.0.0.1:9243"]


def test_the_client_knows_every_node_of_the_list():
    index = VersionIndex("http://127.0.0.1:9241,http://127.0.0.1:9242", "procedura-versions")
    ports = sorted(node.config.port for node in index.es.transport.node_pool.all())
    assert ports == [9241, 9242]


def test_a_single_node_keeps_its_credentials():
    index = VersionIndex("https://procedura:parola@es.primarie.ro:9200", "procedura-versions")
    [node] = index.es.transport.node_pool.all()
    assert (node.config.host, node.config.port, node.config.scheme) == ("es.primarie.ro", 9200, "https")
    assert "authorization" in {k.lower() for k in node.config.headers}
