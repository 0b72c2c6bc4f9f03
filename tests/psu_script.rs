//! Static checks of the PowerShell Universal endpoints script `psu/dhcp_api_endpoints.ps1`.
//!
//! The script runs on Windows servers we cannot reach from CI, so these tests read it with the
//! real tree-sitter PowerShell grammar and check what can be checked without running it:
//!
//! - it parses without ERROR or MISSING nodes;
//! - its `New-PSUEndpoint` calls are exactly the endpoints of `psu/contract.json`;
//! - roles follow the contract (GET = reader, everything else = writer, all authenticated);
//! - no dynamic code execution on request data and no quadratic `@()` + `+=` list building;
//! - shared helpers are defined once and responses go through them;
//! - `/health` reports `$ScriptVersion` and the contract version it implements.
//!
//! Every check returns its findings as a list, so the negative tests below can show that each one
//! really fails on a bad snippet.

// Test code: a failed unwrap or expect is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use tree_sitter::{Node, Parser, Tree};

// ------------------------------------------------------------------------------------------------
// Loading and parsing
// ------------------------------------------------------------------------------------------------

fn repo_file(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn read_script() -> String {
    let path = repo_file("psu/dhcp_api_endpoints.ps1");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn read_contract() -> serde_json::Value {
    let path = repo_file("psu/contract.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn parse(source: &str) -> Tree {
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_powershell::LANGUAGE.into())
        .expect("the PowerShell grammar loads");
    parser
        .parse(source, None)
        .expect("tree-sitter returns a tree")
}

fn text<'s>(node: Node<'_>, source: &'s str) -> &'s str {
    &source[node.byte_range()]
}

/// 1-based `line:column` of a node, for messages.
fn position(node: Node<'_>) -> String {
    let point = node.start_position();
    format!("{}:{}", point.row + 1, point.column + 1)
}

/// Every node of the tree, depth first (iterative, so deep trees cannot overflow the stack).
fn all_nodes(tree: &Tree) -> Vec<Node<'_>> {
    nodes_under(tree.root_node())
}

fn short(snippet: &str) -> String {
    let one_line = snippet.replace(['\r', '\n'], " ");
    let mut shortened: String = one_line.chars().take(60).collect();
    if one_line.chars().count() > 60 {
        shortened.push('…');
    }
    shortened
}

// ------------------------------------------------------------------------------------------------
// Checks (each returns its findings; empty = pass)
// ------------------------------------------------------------------------------------------------

/// ERROR and MISSING nodes, with their position.
fn syntax_problems(tree: &Tree, source: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for node in all_nodes(tree) {
        if node.is_error() {
            problems.push(format!(
                "ERROR at {}: `{}`",
                position(node),
                short(text(node, source))
            ));
        } else if node.is_missing() {
            problems.push(format!("MISSING `{}` at {}", node.kind(), position(node)));
        }
    }
    problems
}

/// One command invocation: its name and its `-Parameter value` pairs.
struct Command<'t> {
    node: Node<'t>,
    name: String,
    /// Lower-case parameter name (without `-` and `:`) → its argument node, if any.
    parameters: BTreeMap<String, Option<Node<'t>>>,
}

fn commands<'t>(tree: &'t Tree, source: &str) -> Vec<Command<'t>> {
    commands_under(tree.root_node(), source)
}

/// Every node under `root` (inclusive), depth first.
fn nodes_under(root: Node<'_>) -> Vec<Node<'_>> {
    let mut found = Vec::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        found.push(node);
        let mut cursor = node.walk();
        let children: Vec<Node<'_>> = node.children(&mut cursor).collect();
        stack.extend(children.into_iter().rev());
    }
    found
}

fn commands_under<'t>(root: Node<'t>, source: &str) -> Vec<Command<'t>> {
    let mut found = Vec::new();
    for node in nodes_under(root) {
        if node.kind() != "command" {
            continue;
        }
        let mut name_cursor = node.walk();
        let name_node = node
            .named_children(&mut name_cursor)
            .find(|c| c.kind() == "command_name");
        let Some(name_node) = name_node else {
            continue;
        };
        let mut parameters = BTreeMap::new();
        let mut cursor = node.walk();
        let elements = node
            .named_children(&mut cursor)
            .find(|c| c.kind() == "command_elements");
        if let Some(elements) = elements {
            let mut element_cursor = elements.walk();
            let items: Vec<Node<'t>> = elements
                .named_children(&mut element_cursor)
                .filter(|c| c.kind() != "command_argument_sep")
                .collect();
            let mut index = 0;
            while index < items.len() {
                let item = items[index];
                if item.kind() == "command_parameter" {
                    let key = text(item, source)
                        .trim_start_matches('-')
                        .trim_end_matches(':')
                        .to_ascii_lowercase();
                    let argument = items
                        .get(index + 1)
                        .copied()
                        .filter(|next| next.kind() != "command_parameter");
                    if argument.is_some() {
                        index += 1;
                    }
                    parameters.insert(key, argument);
                }
                index += 1;
            }
        }
        found.push(Command {
            node,
            name: text(name_node, source).to_string(),
            parameters,
        });
    }
    found
}

/// The literal text of a string argument (`'x'`, `"x"` without variables, or a bare word).
fn literal_string(node: Node<'_>, source: &str) -> Option<String> {
    let mut current = node;
    loop {
        match current.kind() {
            "verbatim_string_characters" => {
                let raw = text(current, source);
                return Some(raw.trim_matches('\'').replace("''", "'"));
            }
            "expandable_string_literal" => {
                let raw = text(current, source);
                if raw.contains('$') || raw.contains('`') {
                    return None;
                }
                return Some(raw.trim_matches('"').to_string());
            }
            "generic_token" => return Some(text(current, source).to_string()),
            _ => {}
        }
        if current.named_child_count() != 1 {
            return None;
        }
        current = current.named_child(0)?;
    }
}

/// An endpoint declared with `New-PSUEndpoint`.
#[derive(Debug)]
struct Endpoint {
    method: String,
    url: String,
    roles: Option<String>,
    authenticated: bool,
    at: String,
    /// Lower-case variables read in the `-Endpoint` body (`$scope_id`, `$body`, ...).
    body_variables: BTreeSet<String>,
    /// Commands called in the body, with their literal `-Status` argument if any.
    body_commands: Vec<(String, Option<String>)>,
}

/// Endpoints of a script, plus findings about calls that are not statically readable.
fn endpoints(tree: &Tree, source: &str) -> (Vec<Endpoint>, Vec<String>) {
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for command in commands(tree, source) {
        if !command.name.eq_ignore_ascii_case("New-PSUEndpoint") {
            continue;
        }
        let at = position(command.node);
        let literal = |key: &str| {
            command
                .parameters
                .get(key)
                .copied()
                .flatten()
                .and_then(|node| literal_string(node, source))
        };
        let (Some(url), Some(method)) = (literal("url"), literal("method")) else {
            problems.push(format!(
                "New-PSUEndpoint at {at} needs a literal -Url and a literal -Method"
            ));
            continue;
        };
        let roles = command
            .parameters
            .get("role")
            .copied()
            .flatten()
            .map(|node| text(node, source).trim().to_string());
        let mut body_variables = BTreeSet::new();
        let mut body_commands = Vec::new();
        match command.parameters.get("endpoint").copied().flatten() {
            Some(body) => {
                for node in nodes_under(body) {
                    if node.kind() == "variable" {
                        body_variables.insert(text(node, source).to_ascii_lowercase());
                    }
                }
                for inner in commands_under(body, source) {
                    let status = inner
                        .parameters
                        .get("status")
                        .copied()
                        .flatten()
                        .map(|node| text(node, source).trim().to_string());
                    body_commands.push((inner.name, status));
                }
            }
            None => problems.push(format!("New-PSUEndpoint at {at} has no -Endpoint")),
        }
        found.push(Endpoint {
            method: method.to_ascii_uppercase(),
            url,
            roles,
            authenticated: command.parameters.contains_key("authentication"),
            at,
            body_variables,
            body_commands,
        });
    }
    (found, problems)
}

/// Differences between the script's endpoints and the contract's, plus duplicates.
fn contract_mismatches(script: &[Endpoint], contract: &serde_json::Value) -> Vec<String> {
    let base = contract["base_path"].as_str().expect("contract base_path");
    let expected: BTreeSet<(String, String)> = contract["endpoints"]
        .as_array()
        .expect("contract endpoints")
        .iter()
        .map(|e| {
            (
                e["method"].as_str().expect("method").to_ascii_uppercase(),
                format!("{base}{}", e["path"].as_str().expect("path")),
            )
        })
        .collect();
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for endpoint in script {
        let key = (endpoint.method.clone(), endpoint.url.clone());
        if !seen.insert(key.clone()) {
            problems.push(format!(
                "{} {} is defined twice (again at {})",
                key.0, key.1, endpoint.at
            ));
        }
        if !expected.contains(&key) {
            problems.push(format!(
                "{} {} (at {}) is not in contract.json",
                key.0, key.1, endpoint.at
            ));
        }
    }
    for (method, url) in expected.difference(&seen) {
        problems.push(format!(
            "{method} {url} from contract.json is not implemented"
        ));
    }
    problems
}

/// GET endpoints must use `$ReaderRoles`, all others `$WriterRoles`; all need -Authentication.
fn role_problems(script: &[Endpoint]) -> Vec<String> {
    let mut problems = Vec::new();
    for endpoint in script {
        let wanted = if endpoint.method == "GET" {
            "$ReaderRoles"
        } else {
            "$WriterRoles"
        };
        if endpoint.roles.as_deref() != Some(wanted) {
            problems.push(format!(
                "{} {} (at {}) has -Role {:?}, expected {wanted}",
                endpoint.method, endpoint.url, endpoint.at, endpoint.roles
            ));
        }
        if !endpoint.authenticated {
            problems.push(format!(
                "{} {} (at {}) lacks -Authentication",
                endpoint.method, endpoint.url, endpoint.at
            ));
        }
    }
    problems
}

/// `(left, operator, right)` of every assignment.
fn assignments<'t>(tree: &'t Tree, source: &str) -> Vec<(String, String, Node<'t>, Node<'t>)> {
    let mut found = Vec::new();
    for node in all_nodes(tree) {
        if node.kind() != "assignment_expression" {
            continue;
        }
        let mut cursor = node.walk();
        let children: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
        let left = children
            .iter()
            .find(|c| c.kind() == "left_assignment_expression");
        let operator = children.iter().find(|c| c.kind() == "assignement_operator");
        let right = children.last();
        if let (Some(left), Some(operator), Some(right)) = (left, operator, right) {
            found.push((
                text(*left, source).trim().to_ascii_lowercase(),
                text(*operator, source).trim().to_string(),
                *right,
                node,
            ));
        }
    }
    found
}

fn has_loop_ancestor(node: Node<'_>) -> bool {
    let mut current = node.parent();
    while let Some(parent) = current {
        if matches!(
            parent.kind(),
            "foreach_statement" | "while_statement" | "do_statement"
        ) {
            return true;
        }
        if parent.kind() == "for_statement" {
            // `for (...; ...; $i += 2)`: the iterator clause is fine, the body is not.
            let in_iterator = {
                let mut up = node.parent();
                let mut hit = false;
                while let Some(step) = up {
                    if step.id() == parent.id() {
                        break;
                    }
                    if step.kind() == "for_iterator" {
                        hit = true;
                    }
                    up = step.parent();
                }
                hit
            };
            if !in_iterator {
                return true;
            }
        }
        current = parent.parent();
    }
    false
}

/// `Invoke-Expression`/`iex`, and `[scriptblock]::Create` outside `New-DhcpEndpointScript`.
fn dynamic_code_problems(tree: &Tree, source: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for command in commands(tree, source) {
        let name = command.name.to_ascii_lowercase();
        if name == "invoke-expression" || name == "iex" {
            problems.push(format!(
                "{} at {} executes a string as code",
                command.name,
                position(command.node)
            ));
        }
    }
    for node in all_nodes(tree) {
        if node.kind() != "invokation_expression" {
            continue;
        }
        let compact: String = text(node, source)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        if !compact.starts_with("[scriptblock]::create(") {
            continue;
        }
        let mut owner = None;
        let mut current = node.parent();
        while let Some(parent) = current {
            if parent.kind() == "function_statement" {
                let mut cursor = parent.walk();
                owner = parent
                    .named_children(&mut cursor)
                    .find(|c| c.kind() == "function_name")
                    .map(|n| text(n, source).to_string());
                break;
            }
            current = parent.parent();
        }
        if owner.as_deref() != Some("New-DhcpEndpointScript") {
            problems.push(format!(
                "[scriptblock]::Create at {} outside New-DhcpEndpointScript",
                position(node)
            ));
        }
    }
    problems
}

/// `+=` on a variable initialised with `@()`, and any `+=` inside a loop body.
fn quadratic_append_problems(tree: &Tree, source: &str) -> Vec<String> {
    let all = assignments(tree, source);
    let array_variables: BTreeSet<String> = all
        .iter()
        .filter(|(_, operator, right, _)| {
            let compact: String = text(*right, source)
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            operator == "=" && compact == "@()"
        })
        .map(|(left, ..)| left.clone())
        .collect();
    let mut problems = Vec::new();
    for (left, operator, _, node) in &all {
        if operator != "+=" {
            continue;
        }
        if array_variables.contains(left) {
            problems.push(format!(
                "`{left} +=` at {} appends to an @() array (quadratic); use a generic List",
                position(*node)
            ));
        } else if has_loop_ancestor(*node) {
            problems.push(format!(
                "`{left} +=` at {} inside a loop; use a generic List",
                position(*node)
            ));
        }
    }
    problems
}

/// Names of every `function` definition, with how often each is defined.
fn function_definitions(tree: &Tree, source: &str) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for node in all_nodes(tree) {
        if node.kind() != "function_statement" {
            continue;
        }
        let mut cursor = node.walk();
        if let Some(name) = node
            .named_children(&mut cursor)
            .find(|c| c.kind() == "function_name")
        {
            *counts.entry(text(name, source).to_string()).or_insert(0) += 1;
        }
    }
    counts
}

/// `New-PSUApiResponse` outside the shared `Send-*` helpers means a hand-rolled response.
fn ad_hoc_response_problems(tree: &Tree, source: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for command in commands(tree, source) {
        if !command.name.eq_ignore_ascii_case("New-PSUApiResponse") {
            continue;
        }
        let mut owner = None;
        let mut current = command.node.parent();
        while let Some(parent) = current {
            if parent.kind() == "function_statement" {
                let mut cursor = parent.walk();
                owner = parent
                    .named_children(&mut cursor)
                    .find(|c| c.kind() == "function_name")
                    .map(|n| text(n, source).to_string());
                break;
            }
            current = parent.parent();
        }
        if !matches!(owner.as_deref(), Some("Send-Json" | "Send-NoContent")) {
            problems.push(format!(
                "New-PSUApiResponse at {} outside Send-Json/Send-NoContent",
                position(command.node)
            ));
        }
    }
    problems
}

/// Literal string values assigned to `$name` (e.g. `$ScriptVersion = '1.0.0'`).
fn string_assignments(tree: &Tree, source: &str, name: &str) -> Vec<String> {
    let wanted = name.to_ascii_lowercase();
    assignments(tree, source)
        .into_iter()
        .filter(|(left, operator, ..)| *left == wanted && operator == "=")
        .filter_map(|(_, _, right, _)| literal_string(right, source))
        .collect()
}

/// Every string literal under the right-hand side of `$name = ...`.
fn assigned_strings(tree: &Tree, source: &str, name: &str) -> BTreeSet<String> {
    let wanted = name.to_ascii_lowercase();
    let mut values = BTreeSet::new();
    for (left, operator, right, _) in assignments(tree, source) {
        if left != wanted || operator != "=" {
            continue;
        }
        let mut stack = vec![right];
        while let Some(node) = stack.pop() {
            if node.kind() == "string_literal" {
                if let Some(value) = literal_string(node, source) {
                    values.insert(value);
                }
                continue;
            }
            let mut cursor = node.walk();
            stack.extend(node.children(&mut cursor));
        }
    }
    values
}

/// Per contract endpoint: every path/query parameter and (when the contract has a request body)
/// `$Body` is read in the body, the success status is produced the way the contract says, and
/// failures go through `Send-Failure`.
fn contract_body_problems(script: &[Endpoint], contract: &serde_json::Value) -> Vec<String> {
    let base = contract["base_path"].as_str().expect("contract base_path");
    let mut problems = Vec::new();
    for entry in contract["endpoints"]
        .as_array()
        .expect("contract endpoints")
    {
        let method = entry["method"]
            .as_str()
            .expect("method")
            .to_ascii_uppercase();
        let url = format!("{base}{}", entry["path"].as_str().expect("path"));
        let Some(endpoint) = script.iter().find(|e| e.method == method && e.url == url) else {
            continue; // reported by contract_mismatches
        };
        let id = format!("{method} {url} (at {})", endpoint.at);
        let mut wanted: Vec<String> = ["path_params", "query"]
            .iter()
            .flat_map(|key| entry[*key].as_array().cloned().unwrap_or_default())
            .map(|param| {
                format!(
                    "${}",
                    param["name"]
                        .as_str()
                        .expect("param name")
                        .to_ascii_lowercase()
                )
            })
            .collect();
        if !entry["request"].is_null() {
            wanted.push("$body".to_string());
        }
        for variable in wanted {
            if !endpoint.body_variables.contains(&variable) {
                problems.push(format!("{id} never reads {variable}"));
            }
        }
        let calls = |name: &str| {
            endpoint
                .body_commands
                .iter()
                .any(|(called, _)| called.eq_ignore_ascii_case(name))
        };
        match entry["success_status"].as_u64().expect("success_status") {
            204 => {
                if !calls("Send-NoContent") {
                    problems.push(format!("{id} must answer 204 with Send-NoContent"));
                }
            }
            status => {
                let literal = status.to_string();
                let sends = endpoint.body_commands.iter().any(|(called, given)| {
                    called.eq_ignore_ascii_case("Send-Json") && given.as_deref() == Some(&literal)
                });
                if !sends {
                    problems.push(format!("{id} never calls Send-Json -Status {literal}"));
                }
                if calls("Send-NoContent") {
                    problems.push(format!("{id} answers 204 but the contract says {literal}"));
                }
            }
        }
        let statuses = entry["statuses"].as_array().expect("statuses");
        let can_fail = statuses
            .iter()
            .filter_map(serde_json::Value::as_u64)
            .any(|s| s >= 400 && s != 401 && s != 403);
        if can_fail && !calls("Send-Failure") {
            problems.push(format!(
                "{id} has error statuses but never calls Send-Failure"
            ));
        }
    }
    problems
}

fn assert_none(what: &str, problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{what}: {} problem(s)\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

// ------------------------------------------------------------------------------------------------
// The real script
// ------------------------------------------------------------------------------------------------

#[test]
fn script_parses_without_error_or_missing_nodes() {
    let source = read_script();
    let tree = parse(&source);
    assert_none(
        "psu/dhcp_api_endpoints.ps1 syntax",
        &syntax_problems(&tree, &source),
    );
}

#[test]
fn script_endpoints_are_exactly_the_contract_endpoints() {
    let source = read_script();
    let tree = parse(&source);
    let (found, unreadable) = endpoints(&tree, &source);
    assert_none("New-PSUEndpoint calls", &unreadable);
    let contract = read_contract();
    let expected_count = contract["endpoints"].as_array().expect("endpoints").len();
    assert_eq!(
        found.len(),
        expected_count,
        "the script declares {} endpoints, the contract {expected_count}",
        found.len()
    );
    assert_none(
        "script vs contract.json",
        &contract_mismatches(&found, &contract),
    );
}

#[test]
fn script_bodies_read_their_parameters_and_answer_contract_statuses() {
    let source = read_script();
    let tree = parse(&source);
    let (found, _) = endpoints(&tree, &source);
    assert!(!found.is_empty(), "no endpoints found");
    assert_none(
        "endpoint bodies vs contract.json",
        &contract_body_problems(&found, &read_contract()),
    );
}

#[test]
fn script_roles_follow_the_contract() {
    let source = read_script();
    let tree = parse(&source);
    let (found, _) = endpoints(&tree, &source);
    assert!(!found.is_empty(), "no endpoints found");
    assert_none("endpoint roles", &role_problems(&found));

    let contract = read_contract();
    for entry in contract["endpoints"].as_array().expect("endpoints") {
        let method = entry["method"].as_str().expect("method");
        let role = entry["role"].as_str().expect("role");
        let expected = if method == "GET" { "reader" } else { "writer" };
        assert_eq!(
            role, expected,
            "contract role of {method} {}",
            entry["path"]
        );
    }

    let readers = assigned_strings(&tree, &source, "$ReaderRoles");
    let writers = assigned_strings(&tree, &source, "$WriterRoles");
    assert_eq!(
        readers,
        BTreeSet::from(["DHCPReader".to_string(), "DHCPWriter".to_string()])
    );
    assert_eq!(writers, BTreeSet::from(["DHCPWriter".to_string()]));
}

#[test]
fn script_never_executes_strings_as_code() {
    let source = read_script();
    let tree = parse(&source);
    assert_none("dynamic code", &dynamic_code_problems(&tree, &source));
}

#[test]
fn script_builds_lists_without_quadratic_appends() {
    let source = read_script();
    let tree = parse(&source);
    assert_none("list building", &quadratic_append_problems(&tree, &source));
}

#[test]
fn script_defines_each_helper_once_and_answers_through_them() {
    let source = read_script();
    let tree = parse(&source);
    let definitions = function_definitions(&tree, &source);
    let duplicated: Vec<String> = definitions
        .iter()
        .filter(|(_, count)| **count > 1)
        .map(|(name, count)| format!("{name} defined {count} times"))
        .collect();
    assert_none("helper definitions", &duplicated);
    for helper in [
        "Send-Json",
        "Send-Error",
        "Send-NoContent",
        "Send-Failure",
        "Resolve-ApiError",
        "ConvertTo-IPv4String",
        "ConvertTo-ClientId",
        "ConvertTo-ApiScope",
        "ConvertTo-ApiLease",
        "ConvertTo-ApiReservation",
        "ConvertTo-ApiOption",
        "ConvertTo-ApiFailover",
        "Format-UtcDate",
        "ConvertTo-Seconds",
        "New-DhcpEndpointScript",
    ] {
        assert_eq!(
            definitions.get(helper),
            Some(&1),
            "{helper} must be defined exactly once"
        );
    }
    assert_none("responses", &ad_hoc_response_problems(&tree, &source));
}

#[test]
fn health_reports_script_and_contract_versions() {
    let source = read_script();
    let tree = parse(&source);
    let versions = string_assignments(&tree, &source, "$ScriptVersion");
    assert_eq!(versions.len(), 1, "$ScriptVersion assigned {versions:?}");
    let parts: Vec<&str> = versions[0].split('.').collect();
    assert!(
        parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.parse::<u32>().is_ok()),
        "$ScriptVersion {:?} is not semver",
        versions[0]
    );
    let contract = read_contract();
    let contract_versions = string_assignments(&tree, &source, "$ContractVersion");
    assert_eq!(
        contract_versions,
        vec![contract["version"].as_str().expect("version").to_string()],
        "$ContractVersion must equal contract.json version"
    );
    let (found, _) = endpoints(&tree, &source);
    let health = found
        .iter()
        .find(|e| e.method == "GET" && e.url == "/api/dhcp/health")
        .expect("GET /api/dhcp/health");
    for variable in ["$scriptversion", "$contractversion", "$dhcpmoduleloaded"] {
        assert!(
            health.body_variables.contains(variable),
            "GET /health does not report {variable}"
        );
    }
}

// ------------------------------------------------------------------------------------------------
// Negative tests: every check fails on a snippet that breaks its rule
// ------------------------------------------------------------------------------------------------

#[test]
fn broken_snippets_yield_error_or_missing_nodes_with_positions() {
    let unclosed =
        "New-PSUEndpoint -Url '/api/dhcp/x' -Method 'GET' -Endpoint {\n    if ($a {\n}\n";
    let tree = parse(unclosed);
    let problems = syntax_problems(&tree, unclosed);
    assert!(!problems.is_empty(), "an unclosed block must be reported");
    assert!(
        problems
            .iter()
            .all(|p| p.contains(':') && (p.starts_with("ERROR at ") || p.starts_with("MISSING "))),
        "{problems:?}"
    );

    let stray = "$x = @{ a = 1 \n$y = )\n";
    let tree = parse(stray);
    let problems = syntax_problems(&tree, stray);
    assert!(!problems.is_empty(), "a stray parenthesis must be reported");

    let fine = "$x = @{ a = 1 }\n$y = [System.Collections.Generic.List[object]]::new()\n";
    let tree = parse(fine);
    assert_none("valid snippet", &syntax_problems(&tree, fine));
}

#[test]
fn contract_check_reports_missing_extra_and_duplicate_endpoints() {
    let contract = serde_json::json!({
        "base_path": "/api/dhcp",
        "endpoints": [
            {"method": "GET", "path": "/scopes"},
            {"method": "DELETE", "path": "/scopes/:scope_id"}
        ]
    });
    let snippet = "\
New-PSUEndpoint -Url '/api/dhcp/scopes' -Method 'GET' -Authentication -Role $ReaderRoles -Endpoint { 1 }
New-PSUEndpoint -Url '/api/dhcp/scopes' -Method GET -Authentication -Role $ReaderRoles -Endpoint { 2 }
New-PSUEndpoint -Url '/api/dhcp/extra' -Method 'POST' -Authentication -Role $WriterRoles -Endpoint { 3 }
";
    let tree = parse(snippet);
    let (found, unreadable) = endpoints(&tree, snippet);
    assert!(unreadable.is_empty(), "{unreadable:?}");
    assert_eq!(found.len(), 3);
    let problems = contract_mismatches(&found, &contract);
    assert!(
        problems.iter().any(|p| p.contains("defined twice")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("POST /api/dhcp/extra") && p.contains("not in contract")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("DELETE /api/dhcp/scopes/:scope_id")
                && p.contains("not implemented")),
        "{problems:?}"
    );

    let computed = "New-PSUEndpoint -Url $url -Method 'GET' -Endpoint { 1 }\n";
    let tree = parse(computed);
    let (_, unreadable) = endpoints(&tree, computed);
    assert_eq!(unreadable.len(), 1, "a computed -Url must be reported");
}

#[test]
fn role_check_reports_wrong_and_missing_roles() {
    let snippet = "\
New-PSUEndpoint -Url '/api/dhcp/scopes' -Method 'POST' -Authentication -Role $ReaderRoles -Endpoint { 1 }
New-PSUEndpoint -Url '/api/dhcp/leases' -Method 'GET' -Endpoint { 2 }
";
    let tree = parse(snippet);
    let (found, _) = endpoints(&tree, snippet);
    let problems = role_problems(&found);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("POST /api/dhcp/scopes") && p.contains("$WriterRoles")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("GET /api/dhcp/leases") && p.contains("-Authentication")),
        "{problems:?}"
    );
}

#[test]
fn dynamic_code_check_reports_iex_and_stray_scriptblock_create() {
    let snippet = "\
Invoke-Expression -Command $Body
iex \"Get-DhcpServerv4Scope -ScopeId $scope_id\"
$sb = [scriptblock]::Create($Body)
function New-DhcpEndpointScript { param($Body) [scriptblock]::Create($Body.ToString()) }
";
    let tree = parse(snippet);
    let problems = dynamic_code_problems(&tree, snippet);
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("Invoke-Expression at 1:"))
    );
    assert!(problems.iter().any(|p| p.starts_with("iex at 2:")));
    assert!(problems.iter().any(|p| p.contains("at 3:")));
}

#[test]
fn append_check_reports_array_appends_and_loop_appends() {
    let snippet = "\
$result = @()
$result += 'a'
$total = 0
foreach ($item in 1..3) { $total += $item }
for ($i = 0; $i -lt 10; $i += 2) { $null = $i }
$list = [System.Collections.Generic.List[object]]::new()
foreach ($item in 1..3) { $list.Add($item) }
";
    let tree = parse(snippet);
    let problems = quadratic_append_problems(&tree, snippet);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems
            .iter()
            .any(|p| p.contains("$result +=") && p.contains("at 2:"))
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("$total +=") && p.contains("inside a loop"))
    );
}

#[test]
fn helper_checks_report_duplicates_and_ad_hoc_responses() {
    let snippet = "\
function Send-Json { param($Data) New-PSUApiResponse -StatusCode 200 -Body $Data }
function Send-Json { param($Data) 'again' }
New-PSUEndpoint -Url '/api/dhcp/x' -Method 'GET' -Endpoint { New-PSUApiResponse -StatusCode 500 }
";
    let tree = parse(snippet);
    assert_eq!(
        function_definitions(&tree, snippet).get("Send-Json"),
        Some(&2)
    );
    let problems = ad_hoc_response_problems(&tree, snippet);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("at 3:"), "{problems:?}");
}

#[test]
fn body_check_reports_unread_parameters_and_wrong_statuses() {
    let contract = serde_json::json!({
        "base_path": "/api/dhcp",
        "endpoints": [
            {"method": "GET", "path": "/scopes/:scope_id", "request": null,
             "path_params": [{"name": "scope_id"}], "query": [{"name": "include_router"}],
             "success_status": 200, "statuses": [200, 404]},
            {"method": "POST", "path": "/scopes", "request": "ScopeCreate",
             "path_params": [], "query": [], "success_status": 201, "statuses": [201, 400]},
            {"method": "DELETE", "path": "/scopes/:scope_id", "request": null,
             "path_params": [{"name": "scope_id"}], "query": [],
             "success_status": 204, "statuses": [204, 404]}
        ]
    });
    let snippet = "\
New-PSUEndpoint -Url '/api/dhcp/scopes/:scope_id' -Method 'GET' -Endpoint { Send-Json -Status 200 -Data $scopeid }
New-PSUEndpoint -Url '/api/dhcp/scopes' -Method 'POST' -Endpoint { try { $r = $Body; Send-Json -Status 200 -Data $r } catch { Send-Failure $_ 'x' } }
New-PSUEndpoint -Url '/api/dhcp/scopes/:scope_id' -Method 'DELETE' -Endpoint { try { $null = $scope_id; Send-NoContent } catch { Send-Failure $_ 'y' } }
";
    let tree = parse(snippet);
    let (found, _) = endpoints(&tree, snippet);
    assert_eq!(found.len(), 3);
    let problems = contract_body_problems(&found, &contract);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("GET") && p.contains("never reads $scope_id")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("GET") && p.contains("never reads $include_router")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("GET") && p.contains("never calls Send-Failure")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("POST") && p.contains("Send-Json -Status 201")),
        "{problems:?}"
    );
    assert!(
        !problems.iter().any(|p| p.contains("DELETE")),
        "{problems:?}"
    );
    assert_eq!(problems.len(), 4, "{problems:?}");
}
