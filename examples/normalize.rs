//! Normalise the values a Windows DHCP administrator types or copies around.
//!
//! ```text
//! cargo run --example normalize -- 262800 AABB.CCDD.EEFF "6=10.0.0.53, 10.0.0.54" "8 Hours"
//! ```
//!
//! Each argument is classified and printed in its canonical form:
//! - an integer is a lease lifetime in seconds, shown in the largest exact unit;
//! - a lifetime in words (`3 Days`, `Unlimited`) is parsed back to seconds;
//! - `CODE=VALUE` is a DHCP option value, parsed with the catalog's data type;
//! - anything else is tried as a client id / MAC address.
//!
//! With no arguments it prints the specification's examples and the option catalog.

use std::process::ExitCode;

use netbox_windhcp::model::option::catalog;
use netbox_windhcp::model::{ClientId, LeaseLifetime, OptionValue};

#[allow(clippy::print_stdout)]
fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        for secs in [86_400_u64, 259_200, 262_800, 3_600, 60, 45] {
            println!("{secs:>8} s  -> {}", LeaseLifetime::from_secs(secs));
        }
        for spelling in [
            "AA-BB-CC-DD-EE-FF",
            "aa:bb:cc:dd:ee:ff",
            "aabb.ccdd.eeff",
            " AABBCCDDEEFF ",
        ] {
            match ClientId::parse(spelling) {
                Ok(id) => println!("{spelling:>20}  -> {id}"),
                Err(e) => println!("{spelling:>20}  -> error: {e}"),
            }
        }
        println!("\n{} predefined Windows DHCPv4 options:", catalog().len());
        for def in catalog() {
            println!("  {:>3}  {:<48} {:?}", def.code, def.name, def.data_type);
        }
        return ExitCode::SUCCESS;
    }

    let mut failed = false;
    for arg in &args {
        match classify(arg) {
            Ok(line) => println!("{arg:>24}  -> {line}"),
            Err(e) => {
                failed = true;
                println!("{arg:>24}  -> error: {e}");
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn classify(arg: &str) -> Result<String, Box<dyn std::error::Error>> {
    let trimmed = arg.trim();
    if let Ok(secs) = trimmed.parse::<u64>() {
        let lifetime = LeaseLifetime::from_secs(secs);
        return Ok(format!("lease lifetime {lifetime}"));
    }
    if let Some((code, value)) = trimmed.split_once('=') {
        let code: u8 = code.trim().parse()?;
        let option = OptionValue::parse(code, value)?;
        let name = option.code().name().unwrap_or("(not predefined)");
        return Ok(format!(
            "option {} {name}: {:?} = {}",
            option.code().code(),
            option.data().data_type(),
            option.data().format()
        ));
    }
    if let Ok(lifetime) = trimmed.parse::<LeaseLifetime>() {
        return Ok(match lifetime.as_secs() {
            Some(secs) => format!("lease lifetime of {secs} seconds"),
            None => "unlimited lease lifetime".to_owned(),
        });
    }
    let id = ClientId::parse(trimmed)?;
    let kind = if id.is_mac() {
        "MAC address"
    } else {
        "client id"
    };
    Ok(format!("{kind} {id}"))
}
