package ro.procedura.analysis;

import java.util.LinkedHashSet;
import java.util.Set;

import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.StopFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.miscellaneous.ASCIIFoldingFilter;
import org.apache.lucene.analysis.ro.RomanianAnalyzer;
import org.elasticsearch.plugin.Inject;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.TokenFilterFactory;

/**
 * {@code ro_stop}: Lucene's Romanian stopwords ({@link RomanianAnalyzer#getDefaultStopSet()}).
 * Lucene's list is written with the cedilla letters (şi, aşa, ...); we add the comma-below
 * spelling of every word, so the filter works before or after {@code ro_cedilla}.
 * Expects lowercased input.
 */
@NamedComponent("ro_stop")
public class RoStopTokenFilterFactory implements TokenFilterFactory {

    static final CharArraySet STOPWORDS = buildSet(false);
    static final CharArraySet STOPWORDS_WITH_ASCII = buildSet(true);

    private final CharArraySet stopwords;

    /** Elasticsearch allows exactly one public constructor; settings are injected (empty = defaults). */
    @Inject
    public RoStopTokenFilterFactory(RoStopSettings settings) {
        this(settings.asciiVariants());
    }

    RoStopTokenFilterFactory(boolean asciiVariants) {
        this.stopwords = asciiVariants ? STOPWORDS_WITH_ASCII : STOPWORDS;
    }

    @Override
    public TokenStream create(TokenStream tokenStream) {
        return new StopFilter(tokenStream, stopwords);
    }

    static CharArraySet buildSet(boolean asciiVariants) {
        Set<String> words = new LinkedHashSet<>();
        for (Object o : RomanianAnalyzer.getDefaultStopSet()) {
            String w = o instanceof char[] ? new String((char[]) o) : o.toString();
            if (w.isBlank()) {
                continue;
            }
            words.add(w);
            words.add(RoLetters.toCommaBelow(w));
            words.add(RoLetters.toCedilla(w));
            if (asciiVariants) {
                words.add(fold(w));
            }
        }
        return CharArraySet.unmodifiableSet(new CharArraySet(words, false));
    }

    private static String fold(String w) {
        char[] in = w.toCharArray();
        char[] out = new char[in.length * 4];
        int n = ASCIIFoldingFilter.foldToASCII(in, 0, out, 0, in.length);
        return new String(out, 0, n);
    }
}
