//! The HTTP side of `tradewind client`: one connection to a tradewind server, the API token
//! on every call, and the server's problem+json answers turned into errors a person can act
//! on (the token and passwords never appear in them).

use anyhow::{Result, anyhow};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Response, StatusCode};
use serde_json::Value;

/// The header that carries an idempotency key on money-moving calls.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// A tradewind server as the command line reaches it.
pub struct Api {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

/// What a call sends besides its method and path.
#[derive(Default)]
pub struct Call<'a> {
    pub body: Option<&'a Value>,
    pub headers: Vec<(&'a str, String)>,
    /// Calls made before there is a token (logging in) send none.
    pub anonymous: bool,
}

impl<'a> Call<'a> {
    pub fn body(body: &'a Value) -> Call<'a> {
        Call { body: Some(body), ..Call::default() }
    }
    pub fn with_key(mut self, key: &str) -> Call<'a> {
        self.headers.push((IDEMPOTENCY_HEADER, key.to_string()));
        self
    }
}

impl Api {
    pub fn new(server: &str, token: Option<String>) -> Result<Api> {
        let base = server.trim().trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(anyhow!("--server must be an http:// or https:// address, not '{base}'"));
        }
        let http = reqwest::Client::builder()
            .user_agent(concat!("tradewind-cli/", env!("CARGO_PKG_VERSION")))
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .map_err(|e| anyhow!("cannot set up the HTTP client: {e}"))?;
        let token = token.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
        Ok(Api { http, base, token })
    }

    /// Sends one call; a non-success answer becomes the server's problem as an error.
    pub async fn send(&self, method: Method, path: &str, call: Call<'_>) -> Result<Response> {
        let mut headers = HeaderMap::new();
        for (name, value) in &call.headers {
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| anyhow!("bad header name {name}"))?;
            let value = HeaderValue::from_str(value).map_err(|_| anyhow!("{name} holds characters a header cannot"))?;
            headers.insert(name, value);
        }
        let mut req = self.http.request(method, format!("{}{path}", self.base)).headers(headers);
        if !call.anonymous {
            let Some(token) = &self.token else { return Err(no_token()) };
            req = req.bearer_auth(token);
        }
        if let Some(body) = call.body {
            req = req.json(body);
        }
        let res = req.send().await.map_err(|e| unreachable(&self.base, &e))?;
        if res.status().is_success() { Ok(res) } else { Err(failure(res).await) }
    }

    /// A call whose answer is JSON.
    pub async fn json(&self, method: Method, path: &str, call: Call<'_>) -> Result<Value> {
        let res = self.send(method, path, call).await?;
        res.json::<Value>().await.map_err(|e| anyhow!("the server's answer to {path} is not JSON: {e}"))
    }

    /// A GET whose 404 means "none yet" rather than a failure.
    pub async fn get_optional(&self, path: &str) -> Result<Option<Value>> {
        let Some(token) = &self.token else { return self.get(path).await.map(Some) };
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| unreachable(&self.base, &e))?;
        match res.status() {
            StatusCode::NOT_FOUND => Ok(None),
            s if s.is_success() => {
                Ok(Some(res.json().await.map_err(|e| anyhow!("the server's answer to {path} is not JSON: {e}"))?))
            }
            _ => Err(failure(res).await),
        }
    }

    /// A POST of a file as it is (an invoice's XML), whose answer is JSON.
    pub async fn post_bytes(&self, path: &str, content_type: &str, bytes: Vec<u8>) -> Result<Value> {
        let Some(token) = &self.token else { return Err(no_token()) };
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(bytes)
            .send()
            .await
            .map_err(|e| unreachable(&self.base, &e))?;
        if !res.status().is_success() {
            return Err(failure(res).await);
        }
        res.json::<Value>().await.map_err(|e| anyhow!("the server's answer to {path} is not JSON: {e}"))
    }

    pub async fn get(&self, path: &str) -> Result<Value> {
        self.json(Method::GET, path, Call::default()).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Result<Value> {
        self.json(Method::POST, path, Call::body(body)).await
    }
}

fn no_token() -> anyhow::Error {
    anyhow!(
        "no API token: run `tradewind client login --email YOU` and export the TRADEWIND_TOKEN it prints, or pass \
         --token"
    )
}

/// The transport failed: name the server and the cause, never the request's headers.
fn unreachable(base: &str, e: &reqwest::Error) -> anyhow::Error {
    use std::error::Error;
    let mut cause = String::new();
    let mut source = e.source();
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    if e.is_timeout() {
        anyhow!("the tradewind server at {base} did not answer in time")
    } else if cause.is_empty() {
        anyhow!("cannot reach the tradewind server at {base}")
    } else {
        anyhow!("cannot reach the tradewind server at {base}: {cause}")
    }
}

/// The server refused: its problem+json detail and field errors, or its status alone.
async fn failure(res: Response) -> anyhow::Error {
    let status = res.status();
    let text = res.text().await.unwrap_or_default();
    let problem = serde_json::from_str::<Value>(&text).ok();
    anyhow!("{}", problem_message(status, problem.as_ref()))
}

/// How a refusal reads: the detail, then one line per field error, then a hint for the
/// refusals a person at a terminal can fix themselves.
pub fn problem_message(status: StatusCode, problem: Option<&Value>) -> String {
    let code = status.as_u16();
    let detail = problem.and_then(|p| p["detail"].as_str()).filter(|d| !d.is_empty());
    let fields: Vec<String> = problem
        .and_then(|p| p["errors"].as_array())
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    format!("  {}: {}", e["field"].as_str().unwrap_or("request"), e["message"].as_str().unwrap_or(""))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut out = match detail {
        // A validation problem's detail repeats its field errors; show them one a line.
        Some(_) if !fields.is_empty() => {
            format!("the server refused the request ({code}):\n{}", fields.join("\n"))
        }
        Some(d) => format!("{d} ({code})"),
        None => format!("the server answered {code} {}", status.canonical_reason().unwrap_or("")).trim().to_string(),
    };
    match status {
        StatusCode::UNAUTHORIZED => out.push_str(
            "\nhint: the token is missing, wrong or revoked; run `tradewind client login --email YOU` for a new one",
        ),
        StatusCode::NOT_FOUND => {
            out.push_str("\nhint: no such object is visible to your company (or this account may not do this)")
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_validation_problem_reads_one_field_a_line() {
        let p = json!({"status": 422, "detail": "iban: bad; bic: bad", "errors": [
            {"field": "iban", "code": "invalid_iban", "message": "the IBAN check digits are wrong"},
            {"field": "bic", "code": "invalid_bic", "message": "a BIC has 8 or 11 characters"}]});
        let m = problem_message(StatusCode::UNPROCESSABLE_ENTITY, Some(&p));
        assert_eq!(
            m,
            "the server refused the request (422):\n  iban: the IBAN check digits are wrong\n  bic: a BIC has 8 or 11 characters"
        );
    }

    #[test]
    fn a_refusal_without_fields_reads_its_detail_and_a_hint() {
        let p = json!({"status": 409, "detail": "release needs a delivered order", "errors": []});
        assert_eq!(problem_message(StatusCode::CONFLICT, Some(&p)), "release needs a delivered order (409)");
        let m = problem_message(StatusCode::UNAUTHORIZED, None);
        assert!(m.starts_with("the server answered 401 Unauthorized\nhint:"), "{m}");
    }

    #[test]
    fn a_server_address_must_be_http() {
        assert!(Api::new("ftp://x", None).is_err());
        let api = Api::new(" http://127.0.0.1:8080/ ", Some(" ".into())).expect("api");
        assert_eq!(api.base, "http://127.0.0.1:8080");
        assert!(api.token.is_none(), "a blank token counts as none");
    }
}
