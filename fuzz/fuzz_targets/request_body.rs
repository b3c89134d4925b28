//! Reading a body in chunks against a limit, whatever `Content-Length` claims: never more than
//! the limit is accepted, and an accepted body is exactly the bytes sent.
#![no_main]

use futures_util::{FutureExt, stream};
use hexaspin_api::body::{BodyLimit, read_bounded};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (Option<String>, u16, Vec<Vec<u8>>)| {
    let (declared, limit, chunks) = input;
    let limit = usize::from(limit);
    let declared = declared.and_then(|d| http::HeaderValue::from_str(&d).ok());
    let sent: Vec<u8> = chunks.concat();
    let stream = stream::iter(chunks.into_iter().map(Ok::<_, ()>));
    let read = read_bounded(declared.as_ref(), BodyLimit::UpTo(limit), stream)
        .now_or_never()
        .expect("an in-memory stream is always ready");
    if let Ok(body) = read {
        assert!(body.len() <= limit);
        assert_eq!(body, sent);
    }
});
