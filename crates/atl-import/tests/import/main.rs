//! Integration tests of atl-import against real files in `testdata/` (see SOURCES.md).

mod caps;
mod common;
mod controls;
mod crm;
mod encodings;
mod fortune;
mod limits;
mod lost_names;
mod parsers;
mod people;
mod roundtrip;
mod spectrum;
mod validation;
