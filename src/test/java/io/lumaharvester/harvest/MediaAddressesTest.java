package io.lumaharvester.harvest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
            "192.168.1.1, true", "169.254.169.254, true", "0.0.0.0, true", "100.64.0.1, true", "100.127.255.255, true",
            "224.0.0.1, true", "::1, true", "fe80::1, true", "fc00::1, true", "fd12:3456::1, true",
            "8.8.8.8, false", "100.128.0.1, false", "172.32.0.1, false", "151.101.1.1, false",
            "2001:4860:4860::8888, false"})
    void internalAddressesAreTold(String address, boolean internal) throws UnknownHostException {
        assertThat(MediaAddresses.internal(InetAddress.getByName(address))).isEqualTo(internal);
    }

    private static DnsResolver answering(String... addresses) {
        return new DnsResolver() {
            @Override
            public InetAddress[] resolve(String host) throws UnknownHostException {
                InetAddress[] answer = new InetAddress[addresses.length];
                for (int i = 0; i < addresses.length; i++) {
                    answer[i] = InetAddress.getByName(addresses[i]);
                }
                return answer;
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
