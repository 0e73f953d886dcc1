package ro.procedura.analysis;

import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.snowball.SnowballFilter;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.TokenFilterFactory;
import org.tartarus.snowball.ext.RomanianStemmer;

/**
 * {@code ro_stem}: Snowball Romanian stemmer. The stemmer bundled with Lucene 9.12 only knows the
 * cedilla letters (its suffix tables contain "aţie", "işti", ...), so tokens are translated to cedilla,
 * stemmed, and translated back to comma-below: {@code petițiilor} and {@code petiţiilor} both give
 * {@code pet} (raw Snowball would give {@code petiț} for the comma-below one). Expects lowercased
 * input; respects KeywordAttribute.
 */
@NamedComponent("ro_stem")
public class RoStemTokenFilterFactory implements TokenFilterFactory {

    @Override
    public TokenStream create(TokenStream tokenStream) {
        TokenStream ts = RoLetterMappingFilter.toCedilla(tokenStream);
        ts = new SnowballFilter(ts, new RomanianStemmer());
        return RoLetterMappingFilter.toCommaBelow(ts);
    }
}
