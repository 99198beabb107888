//! milter._native -- Postwarden's native content core (issue 19), loaded by
//! milter/content/native.py, which falls back to the Python code when this module is missing.
//!
//! Exports:
//!   html_to_text(markup: str) -> str | None
//!       the text formats/html.py's fast path gives; None where that path gives up (or the
//!       string holds lone surrogates): then Python's html.parser path reads it.
//!   NativeError (a RuntimeError)
//!       raised, with a fixed message and no content, when the native code panics: a panic
//!       never unwinds into Python, and the scanner's caller turns the exception into tempfail.
//!   _panic_for_test()
//!       panics inside the guard, so the tests can check the above.
//!
//! Refuses: nothing on its own; every input either gets the Python answer or None.

use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::create_exception;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyString;

mod html;
mod tables;

create_exception!(
    _native,
    NativeError,
    PyRuntimeError,
    "The native content core failed (a panic, caught at the boundary)."
);

/// Runs `work` without the GIL; a panic becomes NativeError (its message, which may quote the
/// input, is not passed on).
fn guarded<T: Send>(py: Python<'_>, work: impl FnOnce() -> T + Send) -> PyResult<T> {
    py.detach(|| catch_unwind(AssertUnwindSafe(work)))
        .map_err(|_| NativeError::new_err("native content core failed (panic)"))
}

/// The visible text of `markup` as formats/html.py's fast path reads it, or None.
#[pyfunction]
fn html_to_text(py: Python<'_>, markup: &Bound<'_, PyString>) -> PyResult<Option<String>> {
    let Ok(markup) = markup.to_str() else {
        return Ok(None); // lone surrogates: no UTF-8 view; the Python path reads it
    };
    guarded(py, || html::html_to_text(markup).ok())
}

/// Panics inside the guard (for the tests of the boundary).
#[pyfunction]
fn _panic_for_test(py: Python<'_>) -> PyResult<()> {
    guarded(py, || panic!("test panic"))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // The default hook prints the panic message, which can quote the input (a str slicing
    // panic shows the string): say only where it happened.  Each cdylib has its own std, so
    // this hook is ours alone.
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("postwarden native: panic at {place} (message withheld)");
    }));
    m.add_function(wrap_pyfunction!(html_to_text, m)?)?;
    m.add_function(wrap_pyfunction!(_panic_for_test, m)?)?;
    m.add("NativeError", m.py().get_type::<NativeError>())?;
    Ok(())
}
