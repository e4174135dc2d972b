//! The EOP signer reproduces every signature CTyun's own signer produced.

use lts::sign;

#[test]
fn every_vector_matches_byte_for_byte() {
    let text = include_str!("vectors/eop_signatures.json");
    let cases: serde_json::Value = serde_json::from_str(text).unwrap();
    let cases = cases.as_array().unwrap();
    assert!(!cases.is_empty());
    for case in cases {
        let s = |k: &str| case[k].as_str().unwrap().to_owned();
        let body: Vec<u8> = (0..s("body_hex").len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s("body_hex")[i..i + 2], 16).unwrap())
            .collect();
        let mut params: Vec<(String, String)> = Vec::new();
        if let Some(q) = case["query"].as_object() {
            for (k, vs) in q {
                for v in vs.as_array().unwrap() {
                    params.push((k.clone(), v.as_str().unwrap().to_owned()));
                }
            }
        }
        let borrowed: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let query = sign::canonical_query(&borrowed);
        assert_eq!(query, s("canonical_query"));
        let sig = sign::signature(
            &s("access_key"),
            &s("secret_key"),
            &s("request_id"),
            &s("eop_date"),
            &query,
            &body,
        );
        assert_eq!(
            sign::authorization(&s("access_key"), &sig),
            s("eop_authorization")
        );
    }
}
