//! Under Miri: the host's memories, made small. Miri's `mmap` takes only plain
//! `MAP_PRIVATE | MAP_ANONYMOUS` mappings and allocates (and zeroes) every byte up front, so
//! the 4 GiB `MAP_NORESERVE` reservation is out. Each memory (the global one and every
//! scratch memory) gets a mapping of its own of at most [`MAX_PAGES`] pages; growing past it
//! fails as `memory.grow` does. Not `std::alloc`: the heap may be the global allocator itself.
//! Waiting, waking and yielding stay the host's: Miri emulates futexes and `sched_yield`.

/// 32 MiB: a heap's tables (3 pages) and what the tests allocate, with room to spare.
pub const MAX_PAGES: usize = 512;

/// What Miri supports: no `MAP_NORESERVE`.
pub const MAP_FLAGS: libc::c_int = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS;
