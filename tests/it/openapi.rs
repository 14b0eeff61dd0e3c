//! Checks Gilde's JSON against the OpenAPI description of Mastodon's API (tests/data, with its licence): every
//! required field present, every field of the right type, enum values known.

use std::sync::OnceLock;

use serde_json::Value;

fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let path = gilde::testing::manifest_dir().join("tests/data/mastodon-openapi-4.7.json");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        serde_json::from_str(&text).expect("valid OpenAPI JSON")
    })
}

fn resolve(schema: &Value) -> &Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r.rsplit('/').next().unwrap_or(r);
            resolve(&spec()["components"]["schemas"][name])
        }
        None => schema,
    }
}

fn type_ok(ty: &str, value: &Value) -> bool {
    match ty {
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "null" => value.is_null(),
        _ => true,
    }
}

fn check(schema: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
    let schema = resolve(schema);
    for key in ["oneOf", "anyOf"] {
        if let Some(options) = schema.get(key).and_then(Value::as_array) {
            let ok = options.iter().any(|o| {
                let mut e = Vec::new();
                check(o, value, path, &mut e);
                e.is_empty()
            });
            if !ok {
                errors.push(format!("{path}: matches none of {key}"));
            }
            return;
        }
    }
    if let Some(ty) = schema.get("type") {
        let types: Vec<&str> = match ty {
            Value::String(s) => vec![s.as_str()],
            Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        if !types.is_empty() && !types.iter().any(|t| type_ok(t, value)) {
            errors.push(format!("{path}: expected {types:?}, found {value}"));
            return;
        }
    }
    if let (Some(options), Some(text)) = (schema.get("enum").and_then(Value::as_array), value.as_str()) {
        if !options.iter().any(|o| o.as_str() == Some(text)) {
            errors.push(format!("{path}: {text:?} is not one of {options:?}"));
        }
    }
    if let Some(object) = value.as_object() {
        for required in schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
            if !object.contains_key(required) {
                errors.push(format!("{path}: missing required field {required:?}"));
            }
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (key, sub) in props {
                if let Some(v) = object.get(key) {
                    check(sub, v, &format!("{path}.{key}"), errors);
                }
            }
        }
    }
    if let (Some(items), Some(list)) = (schema.get("items"), value.as_array()) {
        for (i, v) in list.iter().enumerate() {
            check(items, v, &format!("{path}[{i}]"), errors);
        }
    }
}

/// Panics with every difference between `value` and the named schema of Mastodon's API.
#[track_caller]
pub fn assert_shape(schema: &str, value: &Value) {
    let root = &spec()["components"]["schemas"][schema];
    assert!(!root.is_null(), "no schema {schema} in the OpenAPI description");
    let mut errors = Vec::new();
    check(root, value, schema, &mut errors);
    assert!(errors.is_empty(), "{schema} does not match Mastodon's API:\n{}\n{value:#}", errors.join("\n"));
}

#[test]
fn the_checker_finds_a_missing_field_and_a_wrong_type() {
    let mut errors = Vec::new();
    let schema = &spec()["components"]["schemas"]["Relationship"];
    check(schema, &serde_json::json!({ "id": 5, "following": "yes" }), "R", &mut errors);
    assert!(errors.iter().any(|e| e.contains("missing required field \"blocking\"")), "{errors:?}");
    assert!(errors.iter().any(|e| e.contains("R.id: expected")), "{errors:?}");
    assert!(errors.iter().any(|e| e.contains("R.following: expected")), "{errors:?}");
}
