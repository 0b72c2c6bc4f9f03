//! The declarative catalog of Windows' predefined DHCPv4 options.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::OptionDataType;

/// One predefined option as the Windows DHCP server defines it
/// (`Get-DhcpServerv4OptionDefinition`, "DHCP Standard Options" vendor class).
///
/// The catalog holds the 71 built-in codes the specification pre-populates: 1–49, 51, 54, 58,
/// 59, 60, 64–76, 119, 121, 249 and 252 (the standard options a Windows DHCP server predefines,
/// plus the Microsoft classless-route, domain-search, PXE vendor-class and WPAD definitions that
/// Windows estates commonly carry). Any other code is [`OptionCode::Unknown`] and needs an
/// explicit data type, which the PSU read gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionDefinition {
    /// Option code (RFC 2132 numbering).
    pub code: u8,
    /// The Windows option name, exactly as the DHCP console shows it.
    pub name: &'static str,
    /// The data type, with multi-valued IPv4 / Word options as their list types.
    pub data_type: OptionDataType,
    /// A short description.
    pub description: &'static str,
}

macro_rules! option_catalog {
    ($( $code:literal => $variant:ident, $name:literal, $ty:ident, $desc:literal; )*) => {
        /// A DHCPv4 option code: a named variant for every predefined Windows option, or
        /// `Unknown(code)` for any other code (vendor or site-defined).
        ///
        /// Equality, ordering and hashing are by the numeric code, so `Unknown(6)` equals
        /// `DnsServers`; [`OptionCode::from`] always returns the named variant when one exists.
        /// Serde: the numeric code.
        #[derive(Debug, Clone, Copy)]
        #[non_exhaustive]
        pub enum OptionCode {
            $(
                #[doc = concat!("Option ", stringify!($code), ": ", $name, " — ", $desc)]
                $variant,
            )*
            /// Any code without a predefined Windows definition.
            Unknown(u8),
        }

        static CATALOG: &[OptionDefinition] = &[
            $( OptionDefinition {
                code: $code,
                name: $name,
                data_type: OptionDataType::$ty,
                description: $desc,
            }, )*
        ];

        impl From<u8> for OptionCode {
            fn from(code: u8) -> Self {
                match code {
                    $( $code => OptionCode::$variant, )*
                    other => OptionCode::Unknown(other),
                }
            }
        }

        impl From<OptionCode> for u8 {
            fn from(code: OptionCode) -> u8 {
                match code {
                    $( OptionCode::$variant => $code, )*
                    OptionCode::Unknown(other) => other,
                }
            }
        }
    };
}

option_catalog! {
    1 => SubnetMask, "Subnet Mask", IpAddress, "Subnet mask in network byte order";
    2 => TimeOffset, "Time Offset", Dword, "UCT offset in seconds";
    3 => Router, "Router", IpAddressList, "Array of router addresses ordered by preference";
    4 => TimeServer, "Time Server", IpAddressList, "Array of time server addresses, by preference";
    5 => NameServers, "Name Servers", IpAddressList, "Array of name servers [IEN 116], by preference";
    6 => DnsServers, "DNS Servers", IpAddressList, "Array of DNS servers, by preference";
    7 => LogServers, "Log Servers", IpAddressList, "Array of MIT_LCS UDP log servers on subnet";
    8 => CookieServers, "Cookie Servers", IpAddressList, "Array of cookie servers, RFC 865";
    9 => LprServers, "LPR Servers", IpAddressList, "Array of RFC 1179 servers, by preference";
    10 => ImpressServers, "Impress Servers", IpAddressList, "Array of Imagen Impress servers";
    11 => ResourceLocationServers, "Resource Location Servers", IpAddressList, "Array of RFC 887 ResLoc servers on subnet, by preference";
    12 => HostName, "Host Name", String, "Host name for client, RFC 1035 character set";
    13 => BootFileSize, "Boot File Size", Word, "Size of boot image file in 512-octet blocks";
    14 => MeritDumpFile, "Merit Dump File", String, "Path name for crash dump file";
    15 => DnsDomainName, "DNS Domain Name", String, "DNS domain name for client resolutions";
    16 => SwapServer, "Swap Server", IpAddress, "Address of client's swap server";
    17 => RootPath, "Root Path", String, "Path name for client's root disk, character set NVT ASCII";
    18 => ExtensionsPath, "Extensions Path", String, "TFTP file for option extensions";
    19 => IpLayerForwarding, "IP Layer Forwarding", Byte, "Disable/enable IP packet forwarding on this client";
    20 => NonlocalSourceRouting, "Nonlocal Source Routing", Byte, "Disable/enable non-local datagrams";
    21 => PolicyFilterMasks, "Policy Filter Masks", IpAddressList, "Destination/mask IP address pairs to filter source routes";
    22 => MaxDgReassemblySize, "Max DG Reassembly Size", Word, "Maximum size datagram for reassembly by client; max 576";
    23 => DefaultIpTtl, "Default IP Time-to-live", Byte, "Default TTL for client's use on outgoing DGs";
    24 => PathMtuAgingTimeout, "Path MTU Aging Timeout", Dword, "Timeout in seconds for aging Path MTU values; RFC 1191";
    25 => PathMtuPlateauTable, "Path MTU Plateau Table", WordList, "MTU discovery sizes, sorted by size, all >= 68";
    26 => MtuOption, "MTU Option", Word, "MTU discovery size, >= 68";
    27 => AllSubnetsAreLocal, "All subnets are local", Byte, "The client assumes that all subnets are local";
    28 => BroadcastAddress, "Broadcast Address", IpAddress, "Broadcast address";
    29 => PerformMaskDiscovery, "Perform Mask Discovery", Byte, "The client should use ICMP for subnet mask discovery";
    30 => MaskSupplierOption, "Mask Supplier Option", Byte, "The client should respond to subnet mask requests via ICMP";
    31 => PerformRouterDiscovery, "Perform Router Discovery", Byte, "The client should solicit routers using RFC 1256";
    32 => RouterSolicitationAddress, "Router Solicitation Address", IpAddress, "Address to use for router solicitation";
    33 => StaticRouteOption, "Static Route Option", IpAddressList, "Destination/router IP address pairs, in priority order";
    34 => TrailerEncapsulation, "Trailer Encapsulation", Byte, "The client should negotiate use of trailers (RFC 983)";
    35 => ArpCacheTimeout, "ARP Cache Timeout", Dword, "Timeout in seconds for ARP cache entries";
    36 => EthernetEncapsulation, "Ethernet Encapsulation", Byte, "0 => client should use ENet V2; 1 => IEEE 802.3";
    37 => TcpDefaultTtl, "TCP Default Time-to-live", Byte, "TTL that client uses when sending TCP segments";
    38 => KeepaliveInterval, "Keepalive Interval", Dword, "Keepalive timeout in seconds";
    39 => KeepaliveGarbage, "Keepalive Garbage", Byte, "Send garbage octet";
    40 => NisDomainName, "NIS Domain Name", String, "Name of Network Information Service domain";
    41 => NisServers, "NIS Servers", IpAddressList, "Addresses of NIS servers on client's subnet";
    42 => NtpServers, "NTP Servers", IpAddressList, "Addresses of Network Time Protocol servers";
    43 => VendorSpecificInfo, "Vendor Specific Info", Binary, "Embedded vendor-specific options";
    44 => WinsNbnsServers, "WINS/NBNS Servers", IpAddressList, "NBNS address(es) in priority order";
    45 => NetbiosOverTcpipNbdd, "NetBIOS over TCP/IP NBDD", IpAddressList, "NetBIOS over TCP/IP NBDD address(es) in priority order";
    46 => WinsNbtNodeType, "WINS/NBT Node Type", Byte, "0x1 = B-node, 0x2 = P-node, 0x4 = M-node, 0x8 = H-node";
    47 => NetbiosScopeId, "NetBIOS Scope ID", String, "NetBIOS over TCP/IP scope ID";
    48 => XWindowSystemFont, "X Window System Font", IpAddressList, "Array of X Window font servers";
    49 => XWindowSystemDisplay, "X Window System Display", IpAddressList, "Array of X Window display managers available";
    51 => Lease, "Lease", Dword, "Client IP address lease time in seconds";
    54 => DhcpServerIdentifier, "DHCP Server Identifier", IpAddress, "Address of the DHCP server answering the client";
    58 => RenewalTime, "Renewal (T1) Time Value", Dword, "Time between addresses assignment to RENEWING state";
    59 => RebindingTime, "Rebinding (T2) Time Value", Dword, "Time from address assignment to REBINDING state";
    60 => VendorClassIdentifier, "Vendor Class Identifier", String, "Vendor class the client identifies as (PXEClient for network boot)";
    64 => NisPlusDomainName, "NIS+ Domain Name", String, "The name of the client's NIS+ domain";
    65 => NisPlusServers, "NIS+ Servers", IpAddressList, "A list of IP addresses indicating NIS+ servers";
    66 => BootServerHostName, "Boot Server Host Name", String, "TFTP boot server host name";
    67 => BootfileName, "Bootfile Name", String, "Bootfile name";
    68 => MobileIpHomeAgents, "Mobile IP Home Agents", IpAddressList, "Mobile IP home agents in priority order";
    69 => SmtpServers, "Simple Mail Transport Protocol (SMTP) Servers", IpAddressList, "List of SMTP servers available to the client";
    70 => Pop3Servers, "Post Office Protocol (POP3) Servers", IpAddressList, "List of POP3 servers available to the client";
    71 => NntpServers, "Network News Transport Protocol (NNTP) Servers", IpAddressList, "List of NNTP servers available to the client";
    72 => WwwServers, "World Wide Web (WWW) Servers", IpAddressList, "List of WWW servers available to the client";
    73 => FingerServers, "Finger Servers", IpAddressList, "List of Finger servers available to the client";
    74 => IrcServers, "Internet Relay Chat (IRC) Servers", IpAddressList, "List of IRC servers available to the client";
    75 => StreetTalkServers, "StreetTalk Servers", IpAddressList, "List of StreetTalk servers available to the client";
    76 => StreetTalkDirectoryAssistanceServers, "StreetTalk Directory Assistance (STDA) Servers", IpAddressList, "List of STDA servers available to the client";
    119 => DnsDomainSearchList, "DNS Domain Search List", String, "Domain suffixes the client searches, in order (RFC 3397)";
    121 => ClasslessStaticRoutes, "Classless Static Routes", Binary, "Destination, mask and router IP addresses in priority order (RFC 3442)";
    249 => MicrosoftClasslessStaticRoutes, "Microsoft Classless Static Routes", Binary, "Classless static routes in the pre-RFC 3442 Microsoft option";
    252 => WebProxyAutoDiscovery, "Web Proxy Auto-Discovery (WPAD)", String, "URL of the proxy auto-configuration (WPAD) file";
}

/// Every predefined option, ordered by code.
#[must_use]
pub fn catalog() -> &'static [OptionDefinition] {
    CATALOG
}

impl OptionCode {
    /// The numeric code.
    #[must_use]
    pub fn code(self) -> u8 {
        u8::from(self)
    }

    /// The predefined definition, or `None` for a code Windows does not predefine.
    #[must_use]
    pub fn definition(self) -> Option<&'static OptionDefinition> {
        let code = self.code();
        CATALOG
            .binary_search_by_key(&code, |d| d.code)
            .ok()
            .and_then(|i| CATALOG.get(i))
    }

    /// The Windows name, or `None` for an unknown code.
    #[must_use]
    pub fn name(self) -> Option<&'static str> {
        self.definition().map(|d| d.name)
    }

    /// The catalog data type, or `None` for an unknown code.
    #[must_use]
    pub fn data_type(self) -> Option<OptionDataType> {
        self.definition().map(|d| d.data_type)
    }

    /// `true` if Windows predefines this code.
    #[must_use]
    pub fn is_known(self) -> bool {
        self.definition().is_some()
    }
}

impl PartialEq for OptionCode {
    fn eq(&self, other: &Self) -> bool {
        self.code() == other.code()
    }
}
impl Eq for OptionCode {}
impl PartialOrd for OptionCode {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for OptionCode {
    fn cmp(&self, other: &Self) -> Ordering {
        self.code().cmp(&other.code())
    }
}
impl Hash for OptionCode {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.code().hash(state);
    }
}

impl fmt::Display for OptionCode {
    /// `"6 (DNS Servers)"` for a known code, `"250"` for an unknown one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{} ({name})", self.code()),
            None => write!(f, "{}", self.code()),
        }
    }
}

impl Serialize for OptionCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.code())
    }
}

impl<'de> Deserialize<'de> for OptionCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        u8::deserialize(deserializer).map(OptionCode::from)
    }
}
