//! A faithful in-memory simulator of Windows DHCP Server behind the PowerShell Universal contract.
