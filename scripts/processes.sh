# Procedura's processes, one `procedura-service` each (name:module:class), in the order they
# start. Sourced by scripts/services.sh (one of each) and scripts/cluster/services.sh (two).
# shellcheck disable=SC2034  # used by the scripts that source it
PROCEDURA_PROCESSES=(
  "documents:services.documents.service:DocumentsService"
  "versioning:services.versioning.service:VersioningService"
  "extraction:services.versioning.worker:ExtractionWorker"
  "renditions:services.renditions.worker:RenditionWorker"
  "search:services.search.service:SearchService"
  "notifications:services.notifications.service:NotificationsService"
  "gateway:services.gateway.service:GatewayService"
)
