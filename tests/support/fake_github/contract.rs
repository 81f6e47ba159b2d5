//! The fake held to GitHub's official REST description (issue 15):
//! `tests/data/github/openapi-subset.json`, the operations the fake serves
//! as `@octokit/openapi` describes them (written by `scripts/github-data`).
//!
//! Every request is matched to an operation (method and path template) and
//! checked: path parameters, query parameters (declared, typed, required
//! ones present), request body against the operation's schema. Every answer
//! the fake computes is checked against the schema of its status: required
//! fields present, types and enums as declared, and **no field the schema
//! lacks** (an object without `additionalProperties` is closed — stricter
//! than JSON Schema, which is the point: a fake that invents a field lets a
//! test pass on it). Injected faults are exempt (they depart on purpose).
//!
//! The description is OpenAPI 3.0 (the package publishes no 3.1 document):
//! `nullable: true` admits `null`; `allOf` members are one object whose
//! fields are the union of theirs; `anyOf`/`oneOf` need one alternative to
//! fit. The validator is this file's own, because no JSON Schema validator
//! knows `nullable`, and a closed-object check across `allOf` members is
//! not expressible in draft 4 (`additionalProperties: false` on each member
//! would reject the other members' fields).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use serde_json::Value;

/// The subset, loaded once.
pub static SPEC: LazyLock<Spec> = LazyLock::new(|| {
    let path = crate::support::crate_root().join("tests/data/github/openapi-subset.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run scripts/github-data)", path.display()));
    let doc: Value = serde_json::from_str(&text).expect("openapi-subset.json is JSON");
    Spec::new(doc)
});

/// One operation of the description.
#[derive(Clone, Debug)]
pub struct Operation {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path template, e.g. `/repos/{owner}/{repo}/pulls`.
    pub template: String,
    /// `pulls/list`.
    pub id: String,
    /// The documentation page (GitHub's 403 bodies name it).
    pub docs: String,
    op: Value,
}

/// The parsed subset.
pub struct Spec {
    doc: Value,
    ops: Vec<Operation>,
}

/// A request as the fake received it.
pub struct Seen<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub body: &'a [u8],
}

impl Spec {
    fn new(doc: Value) -> Spec {
        let mut ops = Vec::new();
        if let Some(paths) = doc["paths"].as_object() {
            for (template, methods) in paths {
                for (method, op) in methods.as_object().into_iter().flatten() {
                    ops.push(Operation {
                        method: method.to_uppercase(),
                        template: template.clone(),
                        id: op["operationId"].as_str().unwrap_or("").to_owned(),
                        docs: op["externalDocs"]["url"].as_str().unwrap_or("").to_owned(),
                        op: op.clone(),
                    });
                }
            }
        }
        Spec { doc, ops }
    }

    /// Every operation.
    pub fn operations(&self) -> &[Operation] {
        &self.ops
    }

    /// The operation `method path` is, with its path parameters. A literal
    /// segment beats a parameter (`/repos/{o}/{r}/pulls` is not
    /// `/repos/{o}/{r}/{x}`).
    pub fn find(&self, method: &str, path: &str) -> Option<(&Operation, BTreeMap<String, String>)> {
        let segs: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        let mut best: Option<(&Operation, BTreeMap<String, String>, usize)> = None;
        for op in self.ops.iter().filter(|o| o.method == method) {
            let tsegs: Vec<&str> = op.template.split('/').collect();
            if tsegs.len() != segs.len() {
                continue;
            }
            let mut params = BTreeMap::new();
            let mut literal = 0;
            let fits = tsegs.iter().zip(&segs).all(|(t, s)| {
                if let Some(name) = t.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
                    params.insert(name.to_owned(), decode(s));
                    !s.is_empty()
                } else {
                    literal += 1;
                    t == s
                }
            });
            if fits && best.as_ref().is_none_or(|b| literal > b.2) {
                best = Some((op, params, literal));
            }
        }
        best.map(|(o, p, _)| (o, p))
    }

    fn resolve<'a>(&'a self, mut v: &'a Value) -> &'a Value {
        for _ in 0..32 {
            let Some(r) = v.get("$ref").and_then(Value::as_str) else {
                return v;
            };
            let mut cur = &self.doc;
            for part in r.trim_start_matches("#/").split('/') {
                cur = &cur[part];
            }
            v = cur;
        }
        v
    }

    /// The request's departures from its operation (empty when it fits).
    pub fn check_request(&self, seen: &Seen<'_>) -> Result<&Operation, Vec<String>> {
        let Some((op, path_params)) = self.find(seen.method, seen.path) else {
            return Err(vec![format!(
                "{} {}: no such operation in GitHub's REST description",
                seen.method, seen.path
            )]);
        };
        let at = format!("{} {} ({})", seen.method, op.template, op.id);
        let mut errors = Vec::new();
        let params: Vec<&Value> = op.op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| self.resolve(p))
            .collect();
        let query: Vec<(String, String)> = seen
            .query
            .split('&')
            .filter(|kv| !kv.is_empty())
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                (decode(k), decode(v))
            })
            .collect();
        for p in &params {
            let name = p["name"].as_str().unwrap_or("");
            let place = p["in"].as_str().unwrap_or("");
            let required = p["required"].as_bool().unwrap_or(false);
            let value = match place {
                "path" => path_params.get(name).cloned(),
                "query" => query
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone()),
                _ => continue,
            };
            match value {
                None if required => {
                    errors.push(format!("{at}: required {place} parameter `{name}` missing"))
                }
                None => {}
                Some(v) => {
                    let typed = typed_param(&v, self.resolve(&p["schema"]));
                    let mut e = Vec::new();
                    self.validate(
                        &p["schema"],
                        &typed,
                        &format!("{place} parameter `{name}`"),
                        &mut e,
                    );
                    errors.extend(e.into_iter().map(|e| format!("{at}: {e}")));
                }
            }
        }
        for (k, _) in &query {
            let declared = params
                .iter()
                .any(|p| p["in"] == "query" && p["name"].as_str() == Some(k));
            if !declared {
                errors.push(format!(
                    "{at}: query parameter `{k}` is not in the operation"
                ));
            }
        }
        let body = &op.op["requestBody"];
        if body.is_null() {
            let empty = seen.body.iter().all(u8::is_ascii_whitespace)
                || serde_json::from_slice::<Value>(seen.body)
                    .is_ok_and(|v| v.as_object().is_some_and(|o| o.is_empty()) || v.is_null());
            if !empty {
                errors.push(format!("{at}: a body, and the operation takes none"));
            }
        } else {
            let body_schema = &self.resolve(body)["content"]["application/json"]["schema"];
            let required = self.resolve(body)["required"].as_bool().unwrap_or(false);
            if seen.body.iter().all(u8::is_ascii_whitespace) {
                if required {
                    errors.push(format!("{at}: required request body missing"));
                }
            } else {
                match serde_json::from_slice::<Value>(seen.body) {
                    Err(e) => errors.push(format!("{at}: request body is not JSON: {e}")),
                    Ok(v) => {
                        let mut e = Vec::new();
                        self.validate(body_schema, &v, "request body", &mut e);
                        errors.extend(e.into_iter().map(|e| format!("{at}: {e}")));
                    }
                }
            }
        }
        if errors.is_empty() {
            Ok(op)
        } else {
            Err(errors)
        }
    }

    /// The answer's departures from the operation's response for `status`.
    pub fn check_response(&self, op: &Operation, status: u16, body: &[u8]) -> Vec<String> {
        let at = format!("{} {} ({}) answer {status}", op.method, op.template, op.id);
        if status == 304 {
            return Vec::new();
        }
        let parsed = if body.iter().all(u8::is_ascii_whitespace) {
            None
        } else {
            match serde_json::from_slice::<Value>(body) {
                Ok(v) => Some(v),
                Err(e) => return vec![format!("{at}: not JSON: {e}")],
            }
        };
        if !(200..300).contains(&status) {
            // GitHub's error shape: a message, a documentation URL.
            let ok = parsed
                .as_ref()
                .is_some_and(|v| v["message"].is_string() && v["documentation_url"].is_string());
            return if ok {
                Vec::new()
            } else {
                vec![format!(
                    "{at}: an error answer without `message` and `documentation_url`"
                )]
            };
        }
        let Some(response) = op.op["responses"].get(status.to_string()) else {
            return vec![format!(
                "{at}: status {status} is not an answer of the operation"
            )];
        };
        let schema = &self.resolve(response)["content"]["application/json"]["schema"];
        match (schema.is_null(), parsed) {
            (true, None) => Vec::new(),
            (true, Some(_)) => vec![format!("{at}: a body, and the operation answers none")],
            (false, None) => vec![format!("{at}: no body")],
            (false, Some(v)) => {
                let mut e = Vec::new();
                self.validate(schema, &v, "", &mut e);
                e.into_iter().map(|e| format!("{at}: {e}")).collect()
            }
        }
    }

    /// Checks `value` against `schema`, pushing "where: what" lines.
    pub fn validate(&self, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
        let s = self.resolve(schema);
        let here = if at.is_empty() { "." } else { at };
        if value.is_null() {
            if !self.admits_null(s) {
                errors.push(format!("{here}: null, and the schema is not nullable"));
            }
            return;
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(alts) = s[key].as_array() {
                let mut best: Option<Vec<String>> = None;
                for alt in alts {
                    let mut e = Vec::new();
                    self.validate(alt, value, at, &mut e);
                    if e.is_empty() {
                        return;
                    }
                    if best.as_ref().is_none_or(|b| e.len() < b.len()) {
                        best = Some(e);
                    }
                }
                errors.extend(best.unwrap_or_default());
                return;
            }
        }
        let merged = self.merged(s);
        if let Some(values) = merged.enumeration.as_ref()
            && !values.contains(value)
        {
            errors.push(format!(
                "{here}: {value} is not one of {}",
                Value::Array(values.clone())
            ));
        }
        if let Some(ty) = merged.ty.as_deref() {
            let fits = match ty {
                "object" => value.is_object(),
                "array" => value.is_array(),
                "string" => value.is_string(),
                "integer" => value.is_i64() || value.is_u64(),
                "number" => value.is_number(),
                "boolean" => value.is_boolean(),
                _ => true,
            };
            if !fits {
                errors.push(format!("{here}: expected {ty}, found {}", kind(value)));
                return;
            }
        }
        if let (Some(items), Some(list)) = (&merged.items, value.as_array()) {
            for (i, item) in list.iter().enumerate() {
                self.validate(items, item, &format!("{at}[{i}]"), errors);
            }
        }
        if let (Some(obj), true) = (value.as_object(), merged.is_object) {
            for name in &merged.required {
                if !obj.contains_key(name) {
                    errors.push(format!("{at}.{name}: required, missing"));
                }
            }
            for (name, v) in obj {
                let field_at = format!("{at}.{name}");
                match merged.properties.get(name) {
                    Some(field) => self.validate(field, v, &field_at, errors),
                    None => match &merged.additional {
                        Additional::Closed => {
                            errors.push(format!("{field_at}: not in the schema"));
                        }
                        Additional::Any => {}
                        Additional::Schema(extra) => self.validate(extra, v, &field_at, errors),
                    },
                }
            }
        }
    }

    fn admits_null(&self, s: &Value) -> bool {
        if s["nullable"] == Value::Bool(true) || s["type"] == "null" {
            return true;
        }
        if s["enum"]
            .as_array()
            .is_some_and(|e| e.contains(&Value::Null))
        {
            return true;
        }
        ["anyOf", "oneOf"].iter().any(|k| {
            s[*k]
                .as_array()
                .is_some_and(|alts| alts.iter().any(|a| self.admits_null(self.resolve(a))))
        }) || s["allOf"].as_array().is_some_and(|all| {
            !all.is_empty() && all.iter().all(|a| self.admits_null(self.resolve(a)))
        })
    }

    /// `s` with its `allOf` members folded in.
    fn merged<'a>(&'a self, s: &'a Value) -> Merged<'a> {
        let mut m = Merged::default();
        self.fold(s, &mut m);
        m
    }

    fn fold<'a>(&'a self, s: &'a Value, m: &mut Merged<'a>) {
        let s = self.resolve(s);
        if let Some(t) = s["type"].as_str() {
            m.ty = Some(t.to_owned());
        }
        if let Some(e) = s["enum"].as_array() {
            let mut e = e.clone();
            if s["nullable"] == Value::Bool(true) {
                e.push(Value::Null);
            }
            m.enumeration = Some(e);
        }
        if let Some(props) = s["properties"].as_object() {
            m.is_object = true;
            for (k, v) in props {
                m.properties.insert(k.clone(), v);
            }
        }
        if s["type"] == "object" {
            m.is_object = true;
        }
        for r in s["required"].as_array().into_iter().flatten() {
            if let Some(r) = r.as_str() {
                m.required.insert(r.to_owned());
            }
        }
        match &s["additionalProperties"] {
            Value::Bool(true) => m.additional = Additional::Any,
            Value::Object(o) if o.is_empty() => m.additional = Additional::Any,
            v @ Value::Object(_) => m.additional = Additional::Schema(v),
            _ => {}
        }
        if !s["items"].is_null() {
            m.items = Some(&s["items"]);
        }
        for member in s["allOf"].as_array().into_iter().flatten() {
            self.fold(member, m);
        }
    }
}

#[derive(Default)]
enum Additional<'a> {
    /// No `additionalProperties`: no field beyond `properties`.
    #[default]
    Closed,
    Any,
    Schema(&'a Value),
}

#[derive(Default)]
struct Merged<'a> {
    ty: Option<String>,
    enumeration: Option<Vec<Value>>,
    is_object: bool,
    properties: BTreeMap<String, &'a Value>,
    required: BTreeSet<String>,
    additional: Additional<'a>,
    items: Option<&'a Value>,
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A parameter's text as the JSON value its schema types it as.
fn typed_param(text: &str, schema: &Value) -> Value {
    match schema["type"].as_str() {
        Some("integer") => text
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(text.to_owned())),
        Some("boolean") => match text {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::String(text.to_owned()),
        },
        _ => Value::String(text.to_owned()),
    }
}

/// Percent-decoding (and `+` as a space, in queries GitHub's way).
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(
                    std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or(""),
                    16,
                ) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Spec {
    /// `given` (the fields the fake computes from its model) completed
    /// with every field the schema `#/components/schemas/{name}` requires
    /// and the fake does not model: `null` where nullable, else the first
    /// enum value, an empty string, list or object, `0`, `false`, a date
    /// for `date-time`, a URL under `base` for `uri`. Fields of `given` are
    /// kept as they are (the contract layer then checks them); nested
    /// objects and lists of objects are completed too.
    pub fn complete(&self, name: &str, given: Value, base: &str) -> Value {
        let schema = Value::String(format!("#/components/schemas/{name}"));
        let schema = serde_json::json!({ "$ref": schema });
        self.fill(&schema, Some(given), base, name)
    }

    fn fill(&self, schema: &Value, given: Option<Value>, base: &str, key: &str) -> Value {
        let s = self.resolve(schema);
        for key in ["oneOf", "anyOf"] {
            if let Some(first) = s[key].as_array().and_then(|a| a.first()) {
                if given.as_ref().is_some_and(|g| !g.is_object()) {
                    return given.unwrap_or(Value::Null);
                }
                if given.is_none() && self.admits_null(s) {
                    return Value::Null;
                }
                return self.fill(first, given, base, key);
            }
        }
        let m = self.merged(s);
        match given {
            Some(Value::Object(mut obj)) if m.is_object => {
                for (k, v) in obj.iter_mut() {
                    if let (Some(field), true) =
                        (m.properties.get(k), v.is_object() || v.is_array())
                    {
                        *v = self.fill(field, Some(v.take()), base, k);
                    }
                }
                for name in &m.required {
                    if !obj.contains_key(name) {
                        let field = m.properties.get(name).copied().unwrap_or(&Value::Null);
                        obj.insert(name.clone(), self.fill(field, None, base, name));
                    }
                }
                Value::Object(obj)
            }
            Some(Value::Array(items)) => match m.items {
                Some(item) => Value::Array(
                    items
                        .into_iter()
                        .map(|v| {
                            if v.is_object() {
                                self.fill(item, Some(v), base, key)
                            } else {
                                v
                            }
                        })
                        .collect(),
                ),
                None => Value::Array(items),
            },
            Some(other) => other,
            None => {
                if self.admits_null(s) {
                    return Value::Null;
                }
                if let Some(first) = m.enumeration.as_ref().and_then(|e| e.first()) {
                    return first.clone();
                }
                match m.ty.as_deref() {
                    Some("string") => match s["format"].as_str() {
                        Some("date-time") => Value::from("2024-01-01T00:00:00Z"),
                        Some("uri") => Value::from(format!("{base}/")),
                        // Links (`_links.self.href`, `*_url`) are URLs
                        // whatever their format says.
                        _ if key == "href" || key.ends_with("url") => {
                            Value::from(format!("{base}/"))
                        }
                        _ => Value::from(""),
                    },
                    Some("integer") | Some("number") => Value::from(0),
                    Some("boolean") => Value::Bool(false),
                    Some("array") => Value::Array(Vec::new()),
                    _ if m.is_object => {
                        self.fill(s, Some(Value::Object(Default::default())), base, key)
                    }
                    _ => Value::Null,
                }
            }
        }
    }
}
