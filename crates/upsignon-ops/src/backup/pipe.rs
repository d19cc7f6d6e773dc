//! A writer that hands its bytes, in large chunks, to another thread: a
//! backup reads the database on one core while gzip and age work on the
//! other. At most [`IN_FLIGHT`] chunks wait between the two, so memory stays
//! flat whatever the backup's size. An error of the far side (a full disk)
//! comes back to the writer with its kind and message.

use std::io::{self, Write};
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
    fn the_far_side_error_reaches_the_writer_with_its_kind() {
        let mut pipe = Pipe::spawn(Full, |_| Ok(())).unwrap();
        let chunk = vec![0u8; CHUNK];
        let error = (0..IN_FLIGHT + 3)
            .find_map(|_| pipe.write_all(&chunk).err())
            .expect("a write fails once the far side stopped");
        assert_eq!(error.kind(), io::ErrorKind::StorageFull);
    }
}
