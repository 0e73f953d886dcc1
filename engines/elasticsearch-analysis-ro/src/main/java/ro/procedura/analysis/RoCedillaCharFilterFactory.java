package ro.procedura.analysis;

import java.io.Reader;

import org.apache.lucene.analysis.charfilter.MappingCharFilter;
import org.apache.lucene.analysis.charfilter.NormalizeCharMap;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.CharFilterFactory;

/**
 * {@code ro_cedilla}: ş ţ Ş Ţ (cedilla) to ș ț Ș Ț (comma below).
 * normalize() is implemented too, but ES 8.19 refuses stable-plugin components in
 * custom normalizers ("may not use filter [...]"): use the built-in lowercase normalizer there.
 */
@NamedComponent("ro_cedilla")
public class RoCedillaCharFilterFactory implements CharFilterFactory {

    private static final NormalizeCharMap MAP;

    static {
        NormalizeCharMap.Builder b = new NormalizeCharMap.Builder();
        for (int i = 0; i < RoLetters.CEDILLA.length; i++) {
            b.add(String.valueOf(RoLetters.CEDILLA[i]), String.valueOf(RoLetters.COMMA_BELOW[i]));
        }
        MAP = b.build();
    }

    @Override
    public Reader create(Reader reader) {
        return new MappingCharFilter(MAP, reader);
    }

    @Override
    public Reader normalize(Reader reader) {
        return create(reader);
    }
}
