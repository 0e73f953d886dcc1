package ro.procedura.analysis;

import java.io.IOException;

import org.apache.lucene.analysis.TokenFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;

/** One-to-one char replacement inside tokens (cedilla to comma-below or back); offsets are untouched. */
final class RoLetterMappingFilter extends TokenFilter {

    private final CharTermAttribute term = addAttribute(CharTermAttribute.class);
    private final char[] from;
    private final char[] to;

    private RoLetterMappingFilter(TokenStream in, char[] from, char[] to) {
        super(in);
        this.from = from;
        this.to = to;
    }

    static TokenStream toCommaBelow(TokenStream in) {
        return new RoLetterMappingFilter(in, RoLetters.CEDILLA, RoLetters.COMMA_BELOW);
    }

    static TokenStream toCedilla(TokenStream in) {
        return new RoLetterMappingFilter(in, RoLetters.COMMA_BELOW, RoLetters.CEDILLA);
    }

    @Override
    public boolean incrementToken() throws IOException {
        if (input.incrementToken() == false) {
            return false;
        }
        RoLetters.translate(term.buffer(), term.length(), from, to);
        return true;
    }
}
