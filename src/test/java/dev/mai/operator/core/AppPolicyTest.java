package dev.mai.operator.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * MAI_APP_ALLOWED_IMAGES: registry/path prefixes matched on whole path segments, both sides read as the
 * container runtime reads an image reference (Docker Hub implied, tags and digests not part of the path).
 */
class AppPolicyTest {

    private static final String DIGEST = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    private static boolean admits(String entries, String image) {
        return AppPolicy.of(Optional.of(List.of(entries.split(","))), List.of(), List.of()).refuseImage(image).isEmpty();
    }

    @ParameterizedTest(name = "{0} admits {1}: {2}")
    @CsvSource(delimiter = '|', value = {
            // a trailing slash: everything under the path, on whole segments
            "ghcr.io/acme/|ghcr.io/acme/x|true",
            "ghcr.io/acme/|ghcr.io/acme/x:1.4.2|true",
            "ghcr.io/acme/|ghcr.io/acme/x@" + DIGEST + "|true",
            "ghcr.io/acme/|ghcr.io/acme/x:1.4.2@" + DIGEST + "|true",
            "ghcr.io/acme/|ghcr.io/acme/team/x:1|true",
            "ghcr.io/acme/|ghcr.io/acme-evil/x|false",
            "ghcr.io/acme/|ghcr.io/acmex|false",
            "ghcr.io/acme/|ghcr.io/acme|false",
            "ghcr.io/acme/|ghcr.io/acme:latest|false",
            "ghcr.io/acme/|ghcr.io.evil.com/acme/x|false",
            "ghcr.io/acme/|evil.io/ghcr.io/acme/x|false",
            // no trailing slash: that repository itself or anything under it, still on whole segments
            "ghcr.io/acme|ghcr.io/acme|true",
            "ghcr.io/acme|ghcr.io/acme:1.0|true",
            "ghcr.io/acme|ghcr.io/acme/x|true",
            "ghcr.io/acme|ghcr.io/acme-evil/x|false",
            "ghcr.io/acme|ghcr.io/acme-evil|false",
            // an exact repository
            "ghcr.io/acme/mai|ghcr.io/acme/mai:2|true",
            "ghcr.io/acme/mai|ghcr.io/acme/mai@" + DIGEST + "|true",
            "ghcr.io/acme/mai|ghcr.io/acme/mail:2|false",
            "ghcr.io/acme/mai|ghcr.io/acme/ma|false",
            // a whole registry; its name is case-insensitive, and a port is part of it
            "ghcr.io|ghcr.io/anyone/x:1|true",
            "ghcr.io/|ghcr.io/anyone/x:1|true",
            "ghcr.io|GHCR.IO/anyone/x|true",
            "ghcr.io|ghcr.io:443/anyone/x|false",
            "registry.local:5000/|registry.local:5000/mai:1|true",
            "registry.local:5000/|registry.local/mai:1|false",
            // Docker Hub, written or implied
            "docker.io/acme/|acme/x:1|true",
            "acme/|docker.io/acme/x|true",
            "acme/|index.docker.io/acme/x|true",
            "acme/|acme-evil/x|false",
            "acme/|acme|false",
            "nginx|nginx:1.27|true",
            "nginx|docker.io/library/nginx|true",
            "docker.io/library/|nginx|true",
            "docker.io/library/|acme/nginx|false",
            "docker.io/|nginx|true",
            "docker.io/|ghcr.io/acme/x|false",
            // several entries
            "ghcr.io/acme/, quay.io/acme/|quay.io/acme/x|true",
            "ghcr.io/acme/, quay.io/acme/|quay.io/other/x|false"})
    void prefixesMatchWholePathSegments(String entries, String image, boolean admitted) {
        assertThat(admits(entries, image)).isEqualTo(admitted);
    }

    @ParameterizedTest
    @ValueSource(strings = {"ghcr.io/Acme/x", "ghcr.io/acme//x", "ghcr.io/acme/../x", "ghcr.io/acme/x:", "ghcr.io/acme/x@sha256:abc",
            "ghcr.io/acme/x:-1", "-ghcr.io/acme/x", "ghcr.io/acme/.x", "ghcr.io/"})
    void anImageThatIsNoValidReferenceIsRefusedWhenThereIsAnAllowList(String image) {
        assertThat(AppPolicy.of(Optional.of(List.of("ghcr.io/")), List.of(), List.of()).refuseImage(image))
                .hasValueSatisfying(rule -> assertThat(rule).contains("image reference"));
    }

    @Test
    void withoutAnAllowListEveryImageIsAdmitted() {
        assertThat(AppPolicy.DEFAULT.refuseImage("anything/at:all")).isEmpty();
    }

    @Test
    void aRefusalNamesTheSettingAndItsEntries() {
        assertThat(AppPolicy.of(Optional.of(List.of("ghcr.io/acme/", "quay.io/acme/")), List.of(), List.of()).refuseImage("nginx"))
                .hasValueSatisfying(rule -> assertThat(rule).contains("MAI_APP_ALLOWED_IMAGES", "ghcr.io/acme/, quay.io/acme/"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"ghcr.io/acme/mai:1.0", "ghcr.io/acme/mai@" + "sha256:0123456789abcdef0123456789abcdef", "ghcr.io/ACME/",
            "ghcr.io//acme/"})
    void anEntryWithATagADigestOrNoValidPathFailsTheStart(String entry) {
        assertThatThrownBy(() -> AppPolicy.of(Optional.of(List.of(entry)), List.of(), List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("MAI_APP_ALLOWED_IMAGES").hasMessageContaining(entry);
    }
}
