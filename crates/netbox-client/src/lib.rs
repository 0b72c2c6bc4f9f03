//! Async NetBox REST client: IPAM and the Windows DHCP plugin API, with lazy pagination and chunked bulk writes.
