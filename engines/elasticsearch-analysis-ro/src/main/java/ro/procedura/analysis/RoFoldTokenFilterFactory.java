package ro.procedura.analysis;

import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.miscellaneous.ASCIIFoldingFilter;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.TokenFilterFactory;

/**
 * {@code ro_fold}: ASCIIFoldingFilter (ă â î ș ț ş ţ to a a i s t s t).
 * normalize() is implemented too, but ES 8.19 refuses stable-plugin components in
 * custom normalizers ("may not use filter [...]"): use the built-in lowercase normalizer there.
 */
@NamedComponent("ro_fold")
public class RoFoldTokenFilterFactory implements TokenFilterFactory {

    @Override
    public TokenStream create(TokenStream tokenStream) {
        return new ASCIIFoldingFilter(tokenStream, false);
    }

    @Override
    public TokenStream normalize(TokenStream tokenStream) {
        return create(tokenStream);
    }
}
