package io.lumaharvester.harvest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

import org.apache.hc.client5.http.DnsResolver;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class MediaAddressesTest {

    @ParameterizedTest(name = "{0} internal: {1}")
    @CsvSource({
            "127.0.0.1, true", "127.8.9.1, true", "10.1.2.3, true", "172.16.0.1, true", "172.31.255.255, true",
            "192.168.1.1, true", "169.254.169.254, true", "0.0.0.0, true", "0.1.2.3, true", "100.64.0.1, true",
            "100.127.255.255, true", "224.0.0.1, true",
            "::1, true", "::, true", "fe80::1, true", "fec0::1, true", "fc00::1, true", "fd12:3456::1, true",
            "ff02::1, true",
            // IPv4-mapped and IPv4-compatible: checked as the IPv4 address they carry
            "::ffff:127.0.0.1, true", "::ffff:169.254.169.254, true", "::ffff:10.0.0.7, true",
            "::ffff:192.168.1.1, true", "::ffff:100.64.0.1, true", "::ffff:0.0.0.0, true", "::ffff:224.0.0.1, true",
            "::127.0.0.1, true", "::169.254.169.254, true", "::0.0.0.2, true",
            "::ffff:8.8.8.8, false", "::8.8.8.8, false",
            // translation and tunnel prefixes: refused whatever they carry
            "64:ff9b::7f00:1, true", "64:ff9b::a9fe:a9fe, true", "64:ff9b::808:808, true",
            "64:ff9b:1::a9fe:a9fe, true", "64:ff9b:1:ffff::1, true",
            "2002:7f00:1::1, true", "2002:808:808::1, true",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2, true",
            "8.8.8.8, false", "100.128.0.1, false", "172.32.0.1, false", "151.101.1.1, false",
            "2001:4860:4860::8888, false", "2001:1::1, false", "64:ff9b:2::1, false", "64:ff9c::1, false",
            "2003::1, false", "2a04:4e42::1, false"})
    void internalAddressesAreTold(String address, boolean internal) throws UnknownHostException {
        assertThat(MediaAddresses.internal(answer(address))).isEqualTo(internal);
    }

    /** The JDK parses a mapped address to an Inet4Address; the one a resolver hands over is the one tested. */
    @Test
    void aMappedAddressIsTestedAsTheResolverHandsItOver() throws UnknownHostException {
        assertThat(InetAddress.getByName("::ffff:127.0.0.1")).isInstanceOf(Inet4Address.class);
        InetAddress mapped = answer("::ffff:127.0.0.1");
        assertThat(mapped).isInstanceOf(Inet6Address.class);
        assertThat(mapped.isLoopbackAddress()).isFalse();
        assertThat(MediaAddresses.embeddedIpv4(mapped).getHostAddress()).isEqualTo("127.0.0.1");
    }

    /**
     * {@code text} as a resolver hands it over: an IPv6 address stays an {@link Inet6Address}, also when it maps an
     * IPv4 address (the system resolver builds one from an AAAA answer as it came; {@link InetAddress#getByName}
     * would turn {@code ::ffff:127.0.0.1} into {@code 127.0.0.1}).
     */
    static InetAddress answer(String text) throws UnknownHostException {
        InetAddress parsed = InetAddress.getByName(text);
        if (parsed instanceof Inet4Address && text.contains(":")) {
            byte[] mapped = new byte[16];
            mapped[10] = (byte) 0xff;
            mapped[11] = (byte) 0xff;
            System.arraycopy(parsed.getAddress(), 0, mapped, 12, 4);
            return Inet6Address.getByAddress(null, mapped, -1);
        }
        return parsed;
    }

    private static DnsResolver answering(String... addresses) {
        return new DnsResolver() {
            @Override
            public InetAddress[] resolve(String host) throws UnknownHostException {
                InetAddress[] answered = new InetAddress[addresses.length];
                for (int i = 0; i < addresses.length; i++) {
                    answered[i] = answer(addresses[i]);
                }
                return answered;
            }

            @Override
            public String resolveCanonicalHostname(String host) {
                return host;
            }
        };
    }

    @Test
    void aNameWithOnlyInternalAddressesIsRefusedNamingTheSetting() {
        MediaAddresses addresses = new MediaAddresses(answering("127.0.0.1", "10.0.0.7"), false);
        assertThatThrownBy(() -> addresses.resolve("cdn.example.com"))
                .isInstanceOf(MediaAddresses.PrivateAddressException.class)
                .hasMessageContaining("cdn.example.com").hasMessageContaining("127.0.0.1")
                .hasMessageContaining("luma.harvest.allow-private-addresses=true");
    }

    @Test
    void aNameWhoseOnlyAnswersMapOrTranslateInternalAddressesIsRefused() {
        MediaAddresses addresses = new MediaAddresses(answering("::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe"),
                false);
        assertThatThrownBy(() -> addresses.resolve("cdn.example.com"))
                .isInstanceOf(MediaAddresses.PrivateAddressException.class)
                .hasMessageContaining("cdn.example.com").hasMessageContaining("ffff:a9fe:a9fe");
    }

    @Test
    void onlyThePublicAddressesOfAMixedAnswerAreConnectedTo() throws UnknownHostException {
        MediaAddresses addresses = new MediaAddresses(answering("10.0.0.7", "151.101.1.1"), false);
        assertThat(Arrays.stream(addresses.resolve("cdn.example.com")).map(InetAddress::getHostAddress))
                .containsExactly("151.101.1.1");
    }

    @Test
    void withPrivateAddressesAllowedEveryAddressIsKept() throws UnknownHostException {
        MediaAddresses addresses = new MediaAddresses(answering("127.0.0.1", "151.101.1.1"), true);
        assertThat(addresses.resolve("localhost")).hasSize(2);
    }
}
