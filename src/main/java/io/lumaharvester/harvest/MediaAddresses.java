package io.lumaharvester.harvest;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

import org.apache.hc.client5.http.DnsResolver;

/**
 * The addresses the media client may connect to. The provider's answer names the hosts, so an allowed name that
 * resolves to a loopback, link-local, private or otherwise internal address (a DNS record pointed inward, or one that
 * changes between a check and the connection) would reach the pod's own network; so would an IPv6 address that
 * carries such an IPv4 address ({@code ::ffff:169.254.169.254}) or leads to one through a translator or tunnel
 * ({@link #internal}). The client connects only to what
 * this resolver returns, on every connection and every redirect, so the check and the connection see the same
 * address. {@code luma.harvest.allow-private-addresses=true} turns it off (dev mode, stand-ins on 127.0.0.1, a CDN
 * inside the company network).
 */
public final class MediaAddresses implements DnsResolver {

    /** Every address of the host is internal. */
    public static final class PrivateAddressException extends UnknownHostException {
        PrivateAddressException(String message) {
            super(message);
        }
    }

    private final DnsResolver names;
    private final boolean allowPrivate;

    /** {@code names}: answers the look-ups in place of the system resolver; its answers are checked the same. */
    public MediaAddresses(DnsResolver names, boolean allowPrivate) {
        this.names = names;
        this.allowPrivate = allowPrivate;
    }

    @Override
    public InetAddress[] resolve(String host) throws UnknownHostException {
        InetAddress[] addresses = names.resolve(host);
        if (allowPrivate) {
            return addresses;
        }
        InetAddress[] public_ = Arrays.stream(addresses).filter(a -> !internal(a)).toArray(InetAddress[]::new);
        if (public_.length == 0) {
            throw new PrivateAddressException(host + " resolves only to internal addresses ("
                    + Arrays.stream(addresses).map(InetAddress::getHostAddress).toList()
                    + "), which are refused unless luma.harvest.allow-private-addresses=true");
        }
        return public_;
    }

    @Override
    public String resolveCanonicalHostname(String host) throws UnknownHostException {
        return names.resolveCanonicalHostname(host);
    }

    /**
     * Internal, or a way to one: an IPv6 address that carries an IPv4 address (mapped {@code ::ffff:a.b.c.d},
     * compatible {@code ::a.b.c.d}) is checked as that IPv4 address, since a dual-stack socket connects to it. IPv4:
     * loopback, link-local, private (RFC 1918), carrier-grade NAT ({@code 100.64.0.0/10}), this network
     * ({@code 0.0.0.0/8}), multicast. IPv6: loopback, unspecified, link-local, site-local, unique-local
     * ({@code fc00::/7}), multicast, and the translation and tunnel prefixes, which lead to an IPv4 address through a
     * gateway the harvester cannot see past: NAT64 ({@code 64:ff9b::/96}, {@code 64:ff9b:1::/48}), 6to4
     * ({@code 2002::/16}) and Teredo ({@code 2001::/32}). These are refused whatever IPv4 address they carry.
     */
    static boolean internal(InetAddress address) {
        InetAddress checked = embeddedIpv4(address);
        if (checked.isLoopbackAddress() || checked.isLinkLocalAddress() || checked.isSiteLocalAddress()
                || checked.isAnyLocalAddress() || checked.isMulticastAddress()) {
            return true;
        }
        byte[] bytes = checked.getAddress();
        if (checked instanceof Inet6Address) {
            int first16 = (bytes[0] & 0xff) << 8 | (bytes[1] & 0xff);
            int second16 = (bytes[2] & 0xff) << 8 | (bytes[3] & 0xff);
            return (bytes[0] & 0xfe) == 0xfc // unique-local fc00::/7
                    || first16 == 0x0064 && second16 == 0xff9b && zero(bytes, 4, 12) // NAT64 64:ff9b::/96
                    || first16 == 0x0064 && second16 == 0xff9b && bytes[4] == 0 && bytes[5] == 1 // 64:ff9b:1::/48
                    || first16 == 0x2002 // 6to4
                    || first16 == 0x2001 && second16 == 0; // Teredo 2001::/32
        }
        return (bytes[0] & 0xff) == 100 && (bytes[1] & 0xc0) == 64 || bytes[0] == 0;
    }

    /**
     * The IPv4 address an IPv4-mapped ({@code ::ffff:a.b.c.d}) or IPv4-compatible ({@code ::a.b.c.d}) IPv6 address
     * carries; any other address as it is. The JDK turns a mapped address into an {@code Inet4Address} only when it
     * parses one from text; an AAAA answer of the system resolver stays an {@code Inet6Address}, which none of its
     * IPv4 checks match. {@code ::} and {@code ::1} are IPv6's own unspecified and loopback addresses.
     */
    static InetAddress embeddedIpv4(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return address;
        }
        byte[] bytes = address.getAddress();
        boolean mapped = zero(bytes, 0, 10) && (bytes[10] & 0xff) == 0xff && (bytes[11] & 0xff) == 0xff;
        boolean compatible = zero(bytes, 0, 12) && !(zero(bytes, 12, 15) && (bytes[15] == 0 || bytes[15] == 1));
        if (!mapped && !compatible) {
            return address;
        }
        try {
            return InetAddress.getByAddress(Arrays.copyOfRange(bytes, 12, 16));
        } catch (UnknownHostException impossible) {
            throw new IllegalStateException(impossible); // four bytes are always an IPv4 address
        }
    }

    /** Bytes {@code from} (inclusive) to {@code to} (exclusive) are all 0. */
    private static boolean zero(byte[] bytes, int from, int to) {
        for (int i = from; i < to; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return true;
    }
}
