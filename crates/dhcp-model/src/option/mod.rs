//! DHCP options: the predefined catalog, data types, typed data and per-scope values.

mod catalog;
mod data;
mod value;

pub use catalog::{OptionCode, OptionDefinition, catalog};
pub use data::{OptionData, OptionDataType};
pub use value::OptionValue;
