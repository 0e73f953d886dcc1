package ro.procedura.analysis;

import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.TokenStream;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.TokenFilterFactory;

/**
 * {@code ro_lowercase}: Lucene LowerCaseFilter (Unicode-aware, ROOT locale).
 * normalize() is implemented too, but ES 8.19 refuses stable-plugin components in
 * custom normalizers ("may not use filter [...]"): use the built-in lowercase normalizer there.
 */
@NamedComponent("ro_lowercase")
public class RoLowercaseTokenFilterFactory implements TokenFilterFactory {

    @Override
    public TokenStream create(TokenStream tokenStream) {
        return new LowerCaseFilter(tokenStream);
    }

    @Override
    public TokenStream normalize(TokenStream tokenStream) {
        return create(tokenStream);
    }
}
