//! The pieces every page is built from: the page shell with its navigation,
//! dates, and the SVG charts.

pub mod chart;
pub mod format;
pub mod layout;
