//! Two cores for one stream. [`Pipe`]: a writer that hands its bytes, in
//! large chunks, to another thread (a backup reads the database on one core
//! while gzip and age work on the other). [`ReadAhead`]: a reader whose
//! bytes another thread prepares (a restore parses and loads rows while age
//! and gzip open the next ones). At most [`IN_FLIGHT`] chunks wait between
//! the two, so memory stays flat whatever the size. An error on the far
//! side (a full disk, a damaged chunk) reaches this side with its kind and
//! message.

use std::io::{self, BufRead, Read, Write};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::{self, JoinHandle};

/// Bytes gathered before they cross to the other thread.
const CHUNK: usize = 256 << 10;
/// Chunks that may wait for the other thread.
const IN_FLIGHT: usize = 4;

/// The sending end. [`Pipe::finish`] waits for the far side and returns
/// what it returned.
pub struct Pipe<T: Send + 'static> {
    chunk: Vec<u8>,
    sender: Option<SyncSender<Vec<u8>>>,
    worker: Option<JoinHandle<io::Result<T>>>,
}

impl<T: Send + 'static> Pipe<T> {
    /// Starts a thread that writes every chunk into `sink` and, once the
    /// pipe is finished, calls `close(sink)`.
    pub fn spawn<W, F>(mut sink: W, close: F) -> io::Result<Self>
    where
        W: Write + Send + 'static,
        F: FnOnce(W) -> io::Result<T> + Send + 'static,
    {
        let (sender, receiver): (SyncSender<Vec<u8>>, Receiver<Vec<u8>>) =
            mpsc::sync_channel(IN_FLIGHT);
        let worker = thread::Builder::new()
            .name("backup-writer".into())
            .spawn(move || {
                for chunk in receiver {
                    sink.write_all(&chunk)?;
                }
                close(sink)
            })?;
        Ok(Pipe {
            chunk: Vec::with_capacity(CHUNK),
            sender: Some(sender),
            worker: Some(worker),
        })
    }

    /// Sends what is left, waits for the other thread and returns its result.
    pub fn finish(mut self) -> io::Result<T> {
        self.send()?;
        self.sender = None;
        self.join()
    }

    fn send(&mut self) -> io::Result<()> {
        if self.chunk.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.chunk, Vec::with_capacity(CHUNK));
        let sent = match &self.sender {
            Some(sender) => sender.send(chunk).is_ok(),
            None => false,
        };
        if sent {
            return Ok(());
        }
        // The other side stopped: its own error says why.
        self.sender = None;
        match self.join() {
            Err(e) => Err(e),
            Ok(_) => Err(io::Error::other("the backup writer stopped early")),
        }
    }

    fn join(&mut self) -> io::Result<T> {
        match self.worker.take() {
            Some(worker) => worker
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the backup writer panicked"))),
            None => Err(io::Error::other("the backup writer already stopped")),
        }
    }
}

impl<T: Send + 'static> Write for Pipe<T> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.chunk.extend_from_slice(bytes);
        if self.chunk.len() >= CHUNK {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<T: Send + 'static> Drop for Pipe<T> {
    fn drop(&mut self) {
        // A pipe abandoned after an error on the reading side: the thread
        // closes its half-written stream and ends; nobody needs its result.
        self.sender = None;
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

/// The reading end: bytes read ahead from a source by another thread.
pub struct ReadAhead {
    chunk: Vec<u8>,
    at: usize,
    receiver: Receiver<io::Result<Vec<u8>>>,
}

impl ReadAhead {
    /// Starts a thread that reads `source` to its end, a chunk at a time.
    /// It stops early when this reader is dropped.
    pub fn spawn<R: Read + Send + 'static>(mut source: R) -> io::Result<Self> {
        let (sender, receiver) = mpsc::sync_channel(IN_FLIGHT);
        thread::Builder::new()
            .name("backup-reader".into())
            .spawn(move || {
                loop {
                    let mut chunk = vec![0; CHUNK];
                    let mut filled = 0;
                    let outcome = loop {
                        match source.read(&mut chunk[filled..]) {
                            Ok(0) => break Ok(true),
                            Ok(n) => {
                                filled += n;
                                if filled == CHUNK {
                                    break Ok(false);
                                }
                            }
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                            Err(e) => break Err(e),
                        }
                    };
                    chunk.truncate(filled);
                    let (sent, end) = match outcome {
                        Ok(end) => (filled == 0 || sender.send(Ok(chunk)).is_ok(), end),
                        Err(e) => (sender.send(Err(e)).is_ok(), true),
                    };
                    if !sent || end {
                        return;
                    }
                }
            })?;
        Ok(ReadAhead {
            chunk: Vec::new(),
            at: 0,
            receiver,
        })
    }
}

impl BufRead for ReadAhead {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.at == self.chunk.len() {
            match self.receiver.recv() {
                Ok(Ok(chunk)) => {
                    self.chunk = chunk;
                    self.at = 0;
                }
                Ok(Err(e)) => return Err(e),
                // The thread is done: the end of the source.
                Err(_) => return Ok(&[]),
            }
        }
        Ok(&self.chunk[self.at..])
    }

    fn consume(&mut self, amount: usize) {
        self.at = (self.at + amount).min(self.chunk.len());
    }
}

impl Read for ReadAhead {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_arrive_in_order_and_close_runs_once() {
        let mut pipe = Pipe::spawn(Vec::new(), |v: Vec<u8>| Ok(v)).unwrap();
        let mut expected = Vec::new();
        for i in 0..100_000u32 {
            let line = format!("{i}\n");
            pipe.write_all(line.as_bytes()).unwrap();
            expected.extend_from_slice(line.as_bytes());
        }
        assert_eq!(pipe.finish().unwrap(), expected);
    }

    struct Full;
    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::new(io::ErrorKind::StorageFull, "no space left"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn read_ahead_gives_every_byte_in_order_then_the_error() {
        let data: Vec<u8> = (0..3 * CHUNK + 17).map(|i| (i % 251) as u8).collect();
        let mut all = Vec::new();
        ReadAhead::spawn(io::Cursor::new(data.clone()))
            .unwrap()
            .read_to_end(&mut all)
            .unwrap();
        assert_eq!(all, data);

        let failing = io::Cursor::new(vec![1u8; 10]).chain(Full);
        let mut reader = ReadAhead::spawn(failing).unwrap();
        let mut all = Vec::new();
        let error = reader.read_to_end(&mut all).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::StorageFull);
    }

    impl Read for Full {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::new(io::ErrorKind::StorageFull, "no space left"))
        }
    }

    #[test]
    fn the_far_side_error_reaches_the_writer_with_its_kind() {
        let mut pipe = Pipe::spawn(Full, |_| Ok(())).unwrap();
        let chunk = vec![0u8; CHUNK];
        let error = (0..IN_FLIGHT + 3)
            .find_map(|_| pipe.write_all(&chunk).err())
            .expect("a write fails once the far side stopped");
        assert_eq!(error.kind(), io::ErrorKind::StorageFull);
    }
}
