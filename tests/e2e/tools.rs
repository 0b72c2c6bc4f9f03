//! The tools' shared code: the configuration file, secrets, exit codes, and a configured run
//! against the simulator (narrowed to one server with `--server`).

use std::collections::BTreeSet;
use std::sync::Arc;

use netbox_windhcp::sync::gather::GatherOptions;
use netbox_windhcp::sync::memory::MemoryIpam;
use netbox_windhcp::sync::planner::{plan_import, plan_sync};
use netbox_windhcp::sync::source::{NoProgress, Sources};
use windhcp_psu_simulator::{EstateSpec, SimulatorBuilder, generate};

use crate::common::config::{Config, read_secret};
use crate::common::engine::{apply, execute_options, plan_sync_now, sources_from_config};
use crate::common::exit::Outcome;

#[test]
fn the_example_configuration_parses() {
    let text = include_str!("../../examples/data/windhcp.example.toml");
    let config = Config::parse(text).expect("the example configuration is valid");
    assert_eq!(config.servers.len(), 3);
    assert_eq!(config.servers[0].port, 443);
    assert!(config.servers[1].token_file.is_some());
    assert!(!config.servers[2].sync_standalone);
    let settings = config.settings.as_ref().expect("settings");
    assert!(settings.sync_ip_addresses);
    assert_eq!(settings.protect_tag.as_deref(), Some("sync-protected"));
    assert_eq!(settings.deletion_budget.per_run_percent, Some(25));
    assert_eq!(config.failovers[0].name, "fo-dhcp02-dhcp03");
}

#[test]
fn configuration_mistakes_are_refused() {
    let unknown = "[netbox]\nurl = \"https://nb/\"\ntoken = \"secret-in-file\"\n";
    let err = Config::parse(unknown).unwrap_err().to_string();
    assert!(err.contains("token") && err.starts_with("line 3:"), "{err}");
    assert!(
        !err.contains("secret-in-file"),
        "the value is not echoed: {err}"
    );
    let twice = "[[servers]]\nname = \"a\"\ntoken_env = \"X\"\n[[servers]]\nname = \"a\"\ntoken_env = \"Y\"\n";
    assert!(Config::parse(twice).is_err());
    let both = "[[servers]]\nname = \"a\"\ntoken_env = \"X\"\ntoken_file = \"/f\"\n";
    assert!(Config::parse(both).is_err());
    let zero = "[run]\nserver_concurrency = 0\n";
    assert!(Config::parse(zero).is_err());
}

#[test]
fn secrets_come_from_files_or_the_environment_and_never_show() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token");
    std::fs::write(&path, "  s3cr3t-value\n").unwrap();
    let secret = read_secret("dhcp01", None, Some(&path)).unwrap();
    assert_eq!(secret.expose(), "s3cr3t-value");
    assert!(!format!("{secret:?} {secret}").contains("s3cr3t"));

    let err = read_secret("dhcp01", Some("WINDHCP_E2E_SURELY_UNSET"), None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("WINDHCP_E2E_SURELY_UNSET"), "{err}");
    std::fs::write(&path, "   \n").unwrap();
    assert!(
        read_secret("dhcp01", None, Some(&path)).is_err(),
        "empty token refused"
    );
    assert!(read_secret("dhcp01", None, None).is_err());

    let config = Config::parse(&format!(
        "[[servers]]\nname = \"dhcp01.corp.example\"\ntoken_file = {:?}\n",
        dir.path().join("missing")
    ))
    .unwrap();
    assert!(config.servers[0].connection().is_err());
}

/// A configured run: servers reached through the configuration (plain HTTP, token from a
/// file), an import, then a sync narrowed to one server plans nothing for the others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_run_imports_and_syncs_one_server() {
    let estate = generate(&EstateSpec {
        servers: 1,
        failover_pairs: 1,
        scopes: 2,
        leases_per_scope: 5,
        reservations_per_scope: 1,
        seed: 21,
        ..EstateSpec::default()
    });
    let sim = SimulatorBuilder::new()
        .estate(estate)
        .token("tool-token")
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("psu-token");
    std::fs::write(&token, "tool-token\n").unwrap();
    let mut text = format!(
        "[inventory]\nfile = {:?}\n[settings]\nsync_ip_addresses = true\n",
        dir.path().join("inventory.json")
    );
    for endpoint in sim.servers() {
        text.push_str(&format!(
            "[[servers]]\nname = {:?}\nhost = \"{}\"\nport = {}\nhttps = false\ntoken_file = {:?}\n",
            endpoint.name,
            endpoint.addr.ip(),
            endpoint.addr.port(),
            token
        ));
    }
    let config = Config::parse(&text).unwrap();
    let tool = sources_from_config(&config, None).await.unwrap();
    assert!(!tool.real_ipam, "no [netbox]: in-memory IPAM");
    let doc = tool.inventory.load().await.unwrap();
    assert_eq!(
        doc.inventory.servers.len(),
        3,
        "servers registered from the configuration"
    );
    assert!(
        doc.settings.sync_ip_addresses,
        "settings taken from the configuration"
    );

    // Import everything through one shared in-memory IPAM.
    let ipam = MemoryIpam::new();
    let sources = Sources {
        ipam: Arc::new(ipam.clone()),
        ..tool.sources.clone()
    };
    for endpoint in sim.servers() {
        let snapshot = netbox_windhcp::sync::gather::gather_for_import(
            &sources,
            &endpoint.name,
            &GatherOptions::default(),
            &NoProgress,
        )
        .await
        .unwrap();
        let plan = plan_import(&snapshot, &endpoint.name);
        let (report, _) = apply(&sources, &execute_options(&config), &plan, &NoProgress).await;
        assert_eq!(Outcome::of_apply(&plan, &report), Outcome::Success);
    }
    tool.inventory
        .update(|doc| {
            for f in doc.inventory.failovers.values_mut() {
                f.sync_enabled = true;
            }
        })
        .await
        .unwrap();

    // Narrowed to the standalone server: only its scopes are planned.
    let standalone = sim.servers()[0].name.clone();
    let narrowed = sources_from_config(&config, Some(&standalone))
        .await
        .unwrap();
    let sources_one = Sources {
        ipam: Arc::new(ipam.clone()),
        ..narrowed.sources.clone()
    };
    let planned = plan_sync_now(&sources_one, &GatherOptions::default(), &NoProgress)
        .await
        .unwrap();
    let servers: BTreeSet<&str> = planned
        .plan
        .actions
        .iter()
        .map(|a| a.context.server.as_str())
        .collect();
    assert!(!planned.plan.is_empty());
    assert_eq!(servers, BTreeSet::from([standalone.as_str()]));
    assert_eq!(
        Outcome::of_dry_run(&planned.plan, true),
        Outcome::ChangesPending
    );
    assert_eq!(Outcome::of_dry_run(&planned.plan, false), Outcome::Success);

    // The full sync plans the failover scopes too.
    let snapshot =
        netbox_windhcp::sync::gather::gather(&sources, &GatherOptions::default(), &NoProgress)
            .await
            .unwrap();
    let full = plan_sync(&snapshot);
    assert!(full.actions.len() > planned.plan.actions.len());
    sim.shutdown().await;
}
