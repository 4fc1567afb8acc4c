//! What is asked and of whom: surveys, customers, and the daily rollups of their answers.

pub(crate) mod answer_rows;
pub(crate) mod customers;
pub(crate) mod rollups;
pub(crate) mod surveys;
