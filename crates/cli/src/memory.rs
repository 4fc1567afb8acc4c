//! Giving freed memory back to the operating system.
//!
//! glibc's allocator keeps the memory a program frees in its arenas for later reuse, so a
//! process that built a large data set once (the demo generates and writes ~150,000
//! answers, then only serves) keeps its peak size for good. `malloc_trim` returns the free
//! pages of every arena; it is cheap and safe to call at any time.

/// Returns the allocator's free pages to the system (glibc only; elsewhere nothing to do).
pub fn release_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes no pointers and only walks the allocator's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}
