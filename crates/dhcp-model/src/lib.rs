//! Pure domain types (work in progress).
