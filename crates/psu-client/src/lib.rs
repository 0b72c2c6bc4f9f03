//! Async client for the PowerShell Universal endpoints in front of Windows DHCP Server.
