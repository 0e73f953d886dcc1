package ro.procedura.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.standard.StandardTokenizer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.CharFilterFactory;
import org.elasticsearch.plugin.analysis.TokenFilterFactory;
import org.junit.jupiter.api.Test;

class RoAnalysisTest {

    static final String COMMA = "Procedură operațională privind înregistrarea petițiilor";
    static final String CEDILLA = "Procedură operaţională privind înregistrarea petiţiilor";
    static final String PLAIN = "Procedura operationala privind inregistrarea petitiilor";

    static final CharFilterFactory CEDILLA_CF = new RoCedillaCharFilterFactory();
    static final TokenFilterFactory LOWER = new RoLowercaseTokenFilterFactory();
    static final TokenFilterFactory STOP = new RoStopTokenFilterFactory(false);
    static final TokenFilterFactory STEM = new RoStemTokenFilterFactory();
    static final TokenFilterFactory FOLD = new RoFoldTokenFilterFactory();

    static List<String> analyze(String text, TokenFilterFactory... filters) throws IOException {
        Analyzer a = new Analyzer() {
            @Override
            protected Reader initReader(String field, Reader reader) {
                return CEDILLA_CF.create(reader);
            }

            @Override
            protected TokenStreamComponents createComponents(String field) {
                Tokenizer t = new StandardTokenizer();
                TokenStream ts = t;
                for (TokenFilterFactory f : filters) {
                    ts = f.create(ts);
                }
                return new TokenStreamComponents(t, ts);
            }
        };
        List<String> out = new ArrayList<>();
        try (a; TokenStream ts = a.tokenStream("f", text)) {
            CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
            ts.reset();
            while (ts.incrementToken()) {
                out.add(term.toString());
            }
            ts.end();
        }
        return out;
    }

    @Test
    void cedillaCharFilterMapsToCommaBelow() throws IOException {
        StringBuilder sb = new StringBuilder();
        try (Reader r = CEDILLA_CF.create(new StringReader("ş ţ Ş Ţ ș ț"))) {
            int c;
            while ((c = r.read()) != -1) {
                sb.append((char) c);
            }
        }
        assertEquals("\u0219 \u021B \u0218 \u021A \u0219 \u021B", sb.toString());
    }

    @Test
    void foldedChainIsSpellingInsensitive() throws IOException {
        List<String> expected = List.of("procedura", "operationala", "privind", "inregistrarea", "petitiilor");
        assertEquals(expected, analyze(COMMA, LOWER, STOP, FOLD));
        assertEquals(expected, analyze(CEDILLA, LOWER, STOP, FOLD));
        assertEquals(expected, analyze(PLAIN, LOWER, STOP, FOLD));
    }

    @Test
    void stemmerHandlesBothSpellings() throws IOException {
        List<String> comma = analyze("petițiilor petiția petiții", LOWER, STOP, STEM);
        List<String> cedilla;
        // without the char filter: the stem filter itself must cope with cedilla input
        cedilla = analyzeNoCharFilter("petiţiilor petiţia petiţii", LOWER, STOP, STEM);
        assertEquals(comma, cedilla);
        // Lucene 9.12's RomanianStemmer only knows cedilla letters: raw Snowball on comma-below input
        // would not strip the "ții"-type suffixes the same way; ours must equal raw Snowball on cedilla input.
        assertEquals(List.of("pet", "petiț", "pet"), comma);
        TokenFilterFactory rawSnowball = ts -> new org.apache.lucene.analysis.snowball.SnowballFilter(
            ts, new org.tartarus.snowball.ext.RomanianStemmer());
        assertEquals(List.of("pet", "petiţ", "pet"), analyzeNoCharFilter("petiţiilor petiţia petiţii", LOWER, rawSnowball));
        assertEquals(analyze(COMMA, LOWER, STOP, STEM), analyze(CEDILLA, LOWER, STOP, STEM));
    }

    static List<String> analyzeNoCharFilter(String text, TokenFilterFactory... filters) throws IOException {
        Analyzer a = new Analyzer() {
            @Override
            protected TokenStreamComponents createComponents(String field) {
                Tokenizer t = new StandardTokenizer();
                TokenStream ts = t;
                for (TokenFilterFactory f : filters) {
                    ts = f.create(ts);
                }
                return new TokenStreamComponents(t, ts);
            }
        };
        List<String> out = new ArrayList<>();
        try (a; TokenStream ts = a.tokenStream("f", text)) {
            CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
            ts.reset();
            while (ts.incrementToken()) {
                out.add(term.toString());
            }
            ts.end();
        }
        return out;
    }

    @Test
    void stopwordsInBothSpellings() throws IOException {
        // "şi" (cedilla, as in Lucene's list), "și" (comma below), "aceşti"/"acești"
        assertEquals(List.of("cereri", "avize"), analyzeNoCharFilter("cereri şi și aceşti acești avize", LOWER, STOP));
        // ASCII spellings are kept unless ascii_variants=true
        assertEquals(List.of("si", "cereri"), analyzeNoCharFilter("si cereri", LOWER, STOP));
        assertEquals(List.of("cereri"), analyzeNoCharFilter("si cereri", LOWER, new RoStopTokenFilterFactory(true)));
    }

    @Test
    void namedComponentsJsonMatchesAnnotations() throws Exception {
        Path meta = Path.of(System.getProperty("plugin.metadata.dir", "target/plugin-metadata"));
        Path classes = Path.of(System.getProperty("plugin.classes.dir", "target/classes"));
        String json = Files.readString(meta.resolve("named_components.json"), StandardCharsets.UTF_8);

        Map<String, Map<String, String>> declared = new TreeMap<>();
        Matcher block = Pattern.compile("\"([\\w.]+)\"\\s*:\\s*\\{([^}]*)}").matcher(json);
        while (block.find()) {
            Map<String, String> m = new TreeMap<>();
            Matcher e = Pattern.compile("\"([^\"]+)\"\\s*:\\s*\"([^\"]+)\"").matcher(block.group(2));
            while (e.find()) {
                m.put(e.group(1), e.group(2));
            }
            declared.put(block.group(1), m);
        }

        Map<String, Map<String, String>> found = new TreeMap<>();
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path p : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".class"))::iterator) {
                String cn = classes.relativize(p).toString().replace('/', '.').replaceAll("\\.class$", "");
                Class<?> c = Class.forName(cn);
                NamedComponent nc = c.getAnnotation(NamedComponent.class);
                if (nc == null) {
                    continue;
                }
                for (Class<?> api : Set.of(CharFilterFactory.class, TokenFilterFactory.class)) {
                    if (api.isAssignableFrom(c)) {
                        found.computeIfAbsent(api.getName(), k -> new TreeMap<>()).put(nc.value(), cn);
                    }
                }
                assertEquals(1, c.getConstructors().length, cn + ": ES requires exactly one public constructor");
            }
        }
        assertEquals(found, declared, "named_components.json is out of date with the @NamedComponent classes");
    }

    @Test
    void stableDescriptorHasOnlyKnownKeys() throws IOException {
        Path meta = Path.of(System.getProperty("plugin.metadata.dir", "target/plugin-metadata"));
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(meta.resolve("stable-plugin-descriptor.properties"))) {
            p.load(in);
        }
        Map<String, String> m = new HashMap<>();
        p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k)));
        assertEquals(Set.of("name", "description", "version", "elasticsearch.version", "java.version"), m.keySet());
        m.values().forEach(v -> assertFalse(v.contains("${"), "unfiltered placeholder: " + v));
        assertNotNull(m.get("elasticsearch.version"));
        assertTrue(m.get("elasticsearch.version").matches("\\d+\\.\\d+\\.\\d+"));
    }
}
