//! Integration tests of atl-import against real files in `testdata/` (see SOURCES.md).

mod common;
mod crm;
mod encodings;
mod fortune;
mod limits;
mod parsers;
mod roundtrip;
mod spectrum;
mod validation;
