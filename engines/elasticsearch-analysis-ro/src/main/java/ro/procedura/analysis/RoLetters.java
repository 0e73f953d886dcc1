package ro.procedura.analysis;

/**
 * The two spellings of the Romanian letters s/t with a mark below.
 *
 * <p>Romanian text found in the wild (and pre-2000s fonts/keyboards) uses the Turkish
 * cedilla letters ş ţ Ş Ţ (U+015F U+0163 U+015E U+0162); the correct letters are the
 * comma-below ones ș ț Ș Ț (U+0219 U+021B U+0218 U+021A). Our canonical form is
 * comma-below. Lucene's Romanian resources (stopwords.txt, the Snowball RomanianStemmer)
 * were written with the cedilla letters, so the filters here translate where needed.
 */
final class RoLetters {

    /** Legacy cedilla letters, index-aligned with {@link #COMMA_BELOW}. */
    static final char[] CEDILLA = {'\u015F', '\u0163', '\u015E', '\u0162'};
    /** Correct comma-below letters, index-aligned with {@link #CEDILLA}. */
    static final char[] COMMA_BELOW = {'\u0219', '\u021B', '\u0218', '\u021A'};

    private RoLetters() {}

    /** Maps every char of {@code from[i]} to {@code to[i]} in place; returns true if anything changed. */
    static boolean translate(char[] buf, int len, char[] from, char[] to) {
        boolean changed = false;
        for (int i = 0; i < len; i++) {
            char c = buf[i];
            for (int j = 0; j < from.length; j++) {
                if (c == from[j]) {
                    buf[i] = to[j];
                    changed = true;
                    break;
                }
            }
        }
        return changed;
    }

    static String toCommaBelow(String s) {
        char[] buf = s.toCharArray();
        return translate(buf, buf.length, CEDILLA, COMMA_BELOW) ? new String(buf) : s;
    }

    static String toCedilla(String s) {
        char[] buf = s.toCharArray();
        return translate(buf, buf.length, COMMA_BELOW, CEDILLA) ? new String(buf) : s;
    }
}
