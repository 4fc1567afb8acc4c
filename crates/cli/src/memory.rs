//! Giving freed memory back to the operating system.
//!
//! glibc's allocator keeps the memory a program frees in its arenas for later reuse, so a
//! process that built a large data set once (the demo generates and writes ~150,000
//! answers, then only serves) keeps its peak size for good, and so does a server after a
//! burst of heavy reports (measured: 70 MB idle, 161 MB and staying there after 20 s of
//! retention-KPI requests). `malloc_trim` returns the free pages of every arena; it is
//! cheap and safe to call at any time.

/// Returns the allocator's free pages to the system (glibc only; elsewhere nothing to do).
pub fn release_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes no pointers and only walks the allocator's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// How often a serving process gives freed memory back.
const TRIM_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// Gives freed memory back every [`TRIM_EVERY`] while the process serves, so its size
/// follows its load back down. Off the async threads: trimming takes the allocator's locks.
pub fn keep_releasing_freed() {
    tokio::spawn(async {
        let mut every = tokio::time::interval(TRIM_EVERY);
        every.tick().await;
        loop {
            every.tick().await;
            let _ = tokio::task::spawn_blocking(release_freed).await;
        }
    });
}
