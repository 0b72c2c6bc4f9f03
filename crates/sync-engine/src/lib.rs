//! Pure sync planner and plan executor for Windows DHCP <-> NetBox IPAM.
