//! Oddity plotting (work in progress).
