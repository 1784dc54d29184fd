/// The lock strategies `lock = ...` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockKind {
    /// Test-and-test-and-set with bounded exponential backoff.
    Spin,
    /// Three-state futex mutex: brief spin, then sleep in the kernel / `memory.atomic.wait32`.
    Park,
    /// Park where the thread may block, spin where it may not (the browser main thread).
    Adaptive,
    /// No synchronization at all; only valid in builds without threads.
    None,
}

impl LockKind {
    /// The lock `#[wasm_heap]` uses when none is configured.
    pub const DEFAULT: LockKind = LockKind::Adaptive;

    /// Every valid name, in the order error messages list them.
    pub const NAMES: [&'static str; 4] = ["spin", "park", "adaptive", "none"];

    /// The strategy with this name.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "spin" => Some(Self::Spin),
            "park" => Some(Self::Park),
            "adaptive" => Some(Self::Adaptive),
            "none" => Some(Self::None),
            _ => None,
        }
    }

    /// The name `lock = ...` uses.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Spin => "spin",
            Self::Park => "park",
            Self::Adaptive => "adaptive",
            Self::None => "none",
        }
    }
}
