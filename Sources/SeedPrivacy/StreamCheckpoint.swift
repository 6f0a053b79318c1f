import Foundation

/// Where a stream to a file stands, saved beside the output (`OUT.progress.json`) while it runs and removed
/// when it finishes, so that `--resume` after a crash or kill -9 continues instead of starting over.
///
/// It is saved only after the output (and rejects) of every batch it counts has been written, and every
/// surrogate in that output was committed to the vault before the batch was written; so the files hold
/// at least what it says, and resuming truncates them to exactly that and reads the input from
/// `inputOffset`: no line is lost or written twice. (A kill -9 loses nothing the kernel was given; a power
/// cut may lose the last writes, and resuming then needs the files to be intact up to the checkpoint.)
struct StreamCheckpoint: Codable, Equatable {
    /// Input bytes consumed by the batches written (always at a line end).
    var inputOffset = 0
    var nextLine = 1
    var outputBytes = 0
    var rejectsBytes = 0
    /// The size of the input file when the run started: a checkpoint of another input is refused.
    var inputSize: Int?

    static func path(output: String) -> String { output + ".progress.json" }

    static func load(_ path: String) throws -> StreamCheckpoint? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        do {
            return try JSONDecoder().decode(StreamCheckpoint.self, from: data)
        } catch {
            throw PrivacyError.io(path: path, reason: "not a progress file of seed (\(error.localizedDescription)); remove it to start over")
        }
    }

    /// Replaces the file in one step (write then rename), so that a kill leaves the old or the new one.
    func save(_ path: String) throws {
        do {
            try JSONEncoder().encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw PrivacyError.io(path: path, reason: "cannot save progress: \(error.localizedDescription)")
        }
    }
}

/// The size of a regular file open at `fd`, nil for a pipe or terminal.
func regularFileSize(_ fd: Int32) -> Int? {
    var info = stat()
    guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
    return Int(info.st_size)
}

/// Opens `path` for writing at `length` bytes: truncated to that length (0 starts the file over).
func openForWriting(_ path: String, keeping length: Int) throws -> Int32 {
    let fd = open(path, O_WRONLY | O_CREAT | (length == 0 ? O_TRUNC : 0), 0o644)
    guard fd >= 0 else { throw PrivacyError.io(path: path, reason: String(cString: strerror(errno))) }
    if length > 0 {
        guard let size = regularFileSize(fd), size >= length, ftruncate(fd, off_t(length)) == 0, lseek(fd, off_t(length), SEEK_SET) >= 0 else {
            close(fd)
            throw PrivacyError.io(path: path, reason: "shorter than its progress file says (\(length) bytes); run again without --resume to start over")
        }
    }
    return fd
}
