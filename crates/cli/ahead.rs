//! Reading a capture with both cores: a second thread reads the frames and does the fast path's
//! stateless half for them (`netlayers_fastpath::prepare`: which frames it takes, and the
//! decoding of their payloads — DNS, HTTP … — the costly part), batch by batch, while the
//! calling thread keeps the state that crosses frames and writes the output, in frame order.
//!
//! A batch goes back to the reading thread when it is used up, with the layers decoded ahead
//! still in it (the fast path leaves them in their `Prepared`), and is emptied and refilled
//! there: memory is freed by the thread that allocated it, frame buffers are reused, and a
//! fixed number of batches is in flight. (Handing frames over and freeing them on the other
//! thread, as a first attempt did, was slower than one thread: glibc frees another thread's
//! memory under that thread's arena lock.)
//!
//! For NDJSON the reading thread also writes what needs nothing from earlier frames: the
//! payload's hex (`prepare_json_with_hex`) and, through a [`Head`], the start of each line (the
//! frame, Ethernet and IP keys; for `-e` only the asked ones, picked by a copy of the
//! selection). docs/performance.md has the numbers.
//!
//! For `stats` it also verifies the checksums (`prepare_stats`), but only while the calling
//! thread has a batch waiting: when it has none, this thread is the slower one, and the counting
//! thread verifies them itself (the decoders make the reading the busier half for common
//! traffic; a capture of bulk transfers is the other way round).
//!
//! On a machine with one core, or with `NETLAYERS_THREADS=1`, the same batches are filled on
//! the calling thread, one frame at a time and without heads.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

use netlayers_capture::{CaptureError, FrameSource};
use netlayers_core::Frame;
use netlayers_fastpath::Prepared;

/// What is done ahead with each frame besides reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prepare {
    /// Nothing: the frames go through the layers (a display filter, `--no-fast-path` …).
    Nothing,
    /// [`netlayers_fastpath::prepare`], for packet-list rows.
    Row,
    /// [`netlayers_fastpath::prepare_stats`], for `stats`: with the checksums verified, unless
    /// the calling thread waits for the reading one (see [`Batch::fill`]).
    Stats,
    /// [`netlayers_fastpath::prepare_json`], for NDJSON.
    Json,
    /// [`netlayers_fastpath::prepare_json_with_hex`], for NDJSON with the payloads' bytes.
    JsonWithPayloads,
}

/// Frames per batch: enough that handing a batch over costs nothing per frame, few enough that
/// the batches in flight stay small (a full-size frame is 1.5 KB).
const BATCH: usize = 64;
/// Batches the reading thread may be ahead by.
const AHEAD: usize = 4;

/// Writes, on the reading thread, the start of a frame's output that needs nothing from earlier
/// frames (the head of an NDJSON line, `fastpath::json_head`), for a frame the fast path takes.
pub type Head = Box<dyn FnMut(&Frame, &mut Vec<u8>) + Send>;

/// A frame, what was prepared of it, and its head if one was written ahead.
pub struct Next<'a> {
    pub frame: &'a Frame,
    pub prepared: Option<&'a mut Prepared>,
    pub head: Option<&'a [u8]>,
}

struct Batch {
    /// Reused frame buffers; the first `len` hold this batch's frames.
    frames: Vec<Frame>,
    prepared: Vec<Option<Prepared>>,
    /// Reused buffers for the heads (when there is a [`Head`]), one per frame.
    heads: Vec<Vec<u8>>,
    /// Whether `heads` holds this batch's heads.
    headed: bool,
    len: usize,
    /// The next frame to hand out.
    next: usize,
    /// Bytes of the input read when the batch was full.
    bytes_read: u64,
}

impl Batch {
    fn new() -> Batch {
        Batch { frames: Vec::new(), prepared: Vec::new(), heads: Vec::new(), headed: false, len: 0, next: 0, bytes_read: 0 }
    }

    /// Empties the batch (freeing what was decoded ahead) and reads up to `size` frames into
    /// it. `Some` when the input ended: `Some(None)` at its end, `Some(Some(e))` at an error.
    fn fill(&mut self, source: &mut FrameSource, prepare: Prepare, mut head: Option<&mut Head>, size: usize) -> Option<Option<CaptureError>> {
        self.prepared.clear();
        self.headed = head.is_some();
        self.len = 0;
        self.next = 0;
        let mut end = None;
        while self.len < size {
            if self.frames.len() == self.len {
                self.frames.push(Frame::empty());
            }
            let frame = &mut self.frames[self.len];
            match source.next_into(frame) {
                Ok(true) => {}
                Ok(false) => {
                    end = Some(None);
                    break;
                }
                Err(e) => {
                    end = Some(Some(e));
                    break;
                }
            }
            let prepared = match prepare {
                Prepare::Nothing => None,
                Prepare::Row => netlayers_fastpath::prepare(frame),
                Prepare::Stats => netlayers_fastpath::prepare_stats(frame),
                Prepare::Json => netlayers_fastpath::prepare_json(frame),
                Prepare::JsonWithPayloads => netlayers_fastpath::prepare_json_with_hex(frame),
            };
            if let Some(head) = head.as_mut() {
                if self.heads.len() == self.len {
                    self.heads.push(Vec::new());
                }
                let out = &mut self.heads[self.len];
                out.clear();
                if prepared.is_some() {
                    head(frame, out);
                }
            }
            self.prepared.push(prepared);
            self.len += 1;
        }
        self.bytes_read = source.bytes_read();
        end
    }
}

enum Message {
    Batch(Batch),
    /// After the last batch: the end of the input, or the error that stopped it.
    End(Option<CaptureError>),
}

enum Reader {
    /// On the calling thread.
    Here { source: Box<FrameSource>, prepare: Prepare },
    /// On a second thread (writing the heads, if any): filled batches come in, used ones go
    /// back. `queued` counts the filled batches not taken yet.
    Thread { filled: Receiver<Message>, used: Sender<Batch>, queued: Arc<AtomicUsize>, thread: Option<JoinHandle<()>> },
}

/// The frames of a capture, each with what was prepared of it, read ahead when there is a
/// second core.
pub struct Ahead {
    name: String,
    reader: Reader,
    batch: Batch,
    /// The end (or error) was met; the error, if any, is handed out once.
    ended: bool,
}

impl Ahead {
    /// `head`, if given, is written ahead for each frame the fast path takes, on the reading
    /// thread only: on one thread the caller writes the whole output itself.
    pub fn new(source: FrameSource, prepare: Prepare, head: Option<Head>) -> Ahead {
        let name = source.name().to_string();
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let one = std::env::var("NETLAYERS_THREADS").is_ok_and(|v| v.trim() == "1");
        let reader = if threads > 1 && !one {
            spawn(source, prepare, head)
        } else {
            Reader::Here { source: Box::new(source), prepare }
        };
        Ahead { name, reader, batch: Batch::new(), ended: false }
    }

    /// The input's name, as errors give it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Bytes of the input read so far (by the reading thread: a batch ahead at most).
    pub fn bytes_read(&self) -> u64 {
        self.batch.bytes_read
    }

    /// The next frame, and what the fast path prepared of it (`None` if it declined it, or
    /// nothing was to be prepared); `Ok(None)` at the end of the input. An error ends the
    /// frames: it comes after every frame read before it.
    pub fn next(&mut self) -> Result<Option<Next<'_>>, CaptureError> {
        while self.batch.next >= self.batch.len {
            if self.ended {
                return Ok(None);
            }
            if let Some(error) = self.refill() {
                self.ended = true;
                if let Some(e) = error {
                    return Err(e);
                }
            }
        }
        let b = &mut self.batch;
        let i = b.next;
        b.next += 1;
        let head = if b.headed && b.prepared[i].is_some() { b.heads.get(i).map(Vec::as_slice) } else { None };
        Ok(Some(Next { frame: &b.frames[i], prepared: b.prepared[i].as_mut(), head }))
    }

    /// Replaces the used batch with the next one; `Some` when the input ended.
    fn refill(&mut self) -> Option<Option<CaptureError>> {
        match &mut self.reader {
            // One frame at a time: its bytes are still in the cache when it is shown (and the
            // payload's hex is not worth writing ahead).
            Reader::Here { source, prepare } => {
                let prepare = if *prepare == Prepare::JsonWithPayloads { Prepare::Json } else { *prepare };
                self.batch.fill(source, prepare, None, 1)
            }
            Reader::Thread { filled, used, queued, thread } => match filled.recv() {
                Ok(Message::Batch(b)) => {
                    queued.fetch_sub(1, Ordering::Relaxed);
                    let old = std::mem::replace(&mut self.batch, b);
                    // The reading thread empties it; if it is gone, so is the batch.
                    let _ = used.send(old);
                    None
                }
                Ok(Message::End(e)) => Some(e),
                // The thread ended without a word: it panicked (and said so on stderr); so does
                // this one, as reading on one thread would have.
                Err(_) => {
                    if let Some(Err(panic)) = thread.take().map(JoinHandle::join) {
                        std::panic::resume_unwind(panic);
                    }
                    Some(None)
                }
            },
        }
    }
}

fn spawn(source: FrameSource, prepare: Prepare, head: Option<Head>) -> Reader {
    let (filled_tx, filled) = mpsc::sync_channel::<Message>(AHEAD);
    let (used, used_rx) = mpsc::channel::<Batch>();
    // The source is handed over once the thread runs, so it stays here if none can be had.
    let (give, take) = mpsc::channel::<FrameSource>();
    let queued = Arc::new(AtomicUsize::new(0));
    let queued_here = Arc::clone(&queued);
    let thread = std::thread::Builder::new().name("netlayers-read".into()).spawn(move || {
        if let Ok(mut source) = take.recv() {
            read(&mut source, prepare, head, &filled_tx, &used_rx, &queued_here);
        }
    });
    let source = match thread {
        Ok(thread) => match give.send(source) {
            Ok(()) => return Reader::Thread { filled, used, queued, thread: Some(thread) },
            Err(mpsc::SendError(source)) => source,
        },
        Err(_) => source,
    };
    Reader::Here { source: Box::new(source), prepare }
}

/// The reading thread: fills batches (reusing the ones that came back) until the input ends,
/// or the reader is dropped (the command stopped early: `-c`, a closed pipe).
///
/// For `stats`, the checksums are work either thread can do (the counting thread verifies
/// those of a frame prepared without them): they are verified here while the calling thread
/// has a batch waiting, and left to it when it has none, that is when this thread is the one
/// it waits for. Which thread verifies them never changes the output.
fn read(
    source: &mut FrameSource,
    prepare: Prepare,
    mut head: Option<Head>,
    filled: &SyncSender<Message>,
    used: &Receiver<Batch>,
    queued: &AtomicUsize,
) {
    loop {
        let mut batch = used.try_recv().unwrap_or_else(|_| Batch::new());
        let now = match prepare {
            Prepare::Stats if queued.load(Ordering::Relaxed) == 0 => Prepare::Row,
            p => p,
        };
        let end = batch.fill(source, now, head.as_mut(), BATCH);
        // Counted before it is sent: the calling thread counts it off when it takes it.
        queued.fetch_add(1, Ordering::Relaxed);
        if filled.send(Message::Batch(batch)).is_err() {
            return;
        }
        if let Some(e) = end {
            let _ = filled.send(Message::End(e));
            return;
        }
    }
}
