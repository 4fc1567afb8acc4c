//! Server-rendered pages: the public survey pages and the web app.

pub mod views;
