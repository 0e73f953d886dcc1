package ro.procedura.analysis;

import org.elasticsearch.plugin.settings.AnalysisSettings;
import org.elasticsearch.plugin.settings.BooleanSetting;

/** Settings of {@code ro_stop} when declared as a custom filter: {@code {"type": "ro_stop", "ascii_variants": true}}. */
@AnalysisSettings
public interface RoStopSettings {

    /**
     * Also remove the diacritic-less spellings of the stopwords (si, sa, ca, dupa, ...).
     * Off by default: some of them collide with content words once the diacritics are gone.
     */
    @BooleanSetting(path = "ascii_variants", defaultValue = false)
    boolean asciiVariants();
}
