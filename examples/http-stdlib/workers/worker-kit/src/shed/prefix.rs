//! The gRPC message prefix, read off a call's body before the message is
//! decoded, and the body replayed whole to the service afterwards.

use std::{
    collections::VecDeque,
    pin::Pin,
    task::{Context, Poll},
};

use http_body::{Body as _, Frame, SizeHint};
use tonic::{Status, body::Body, codegen::Bytes};

/// Length of the gRPC message prefix: compressed flag, then a big-endian
/// u32 length.
const GRPC_PREFIX: usize = 5;

pub(super) type Item = Result<Frame<Bytes>, Status>;

/// Reads frames until the gRPC prefix is in or the body ends.
pub(super) async fn read_prefix(mut body: Body) -> (VecDeque<Item>, Body) {
    let mut head = VecDeque::new();
    let mut seen = 0;
    while seen < GRPC_PREFIX {
        let Some(item) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await else {
            break;
        };
        let more = match &item {
            Ok(frame) => frame.data_ref().map(|data| seen += data.len()).is_some(),
            Err(_) => false,
        };
        head.push_back(item);
        if !more {
            break;
        }
    }
    (head, body)
}

/// The message length in the gRPC prefix at the start of `head`.
pub(super) fn message_len(head: &VecDeque<Item>) -> Option<usize> {
    let mut prefix = Vec::with_capacity(GRPC_PREFIX);
    for data in head
        .iter()
        .filter_map(|item| item.as_ref().ok()?.data_ref())
    {
        prefix.extend(data.iter().take(GRPC_PREFIX - prefix.len()));
    }
    let length: [u8; 4] = prefix.get(1..GRPC_PREFIX)?.try_into().ok()?;
    usize::try_from(u32::from_be_bytes(length)).ok()
}

/// The frames read for the prefix, then the rest of the body.
pub(super) struct Replay {
    pub(super) head: VecDeque<Item>,
    pub(super) rest: Body,
}

impl http_body::Body for Replay {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        if let Some(item) = self.head.pop_front() {
            return Poll::Ready(Some(item));
        }
        Pin::new(&mut self.rest).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.head.is_empty() && self.rest.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        if self.head.is_empty() {
            self.rest.size_hint()
        } else {
            SizeHint::default()
        }
    }
}
