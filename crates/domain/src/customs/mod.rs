//! Customs, first slice: the duty a tariff measure levies on goods. A measure is ad valorem
//! (a percentage of the customs value), specific (an amount per unit of quantity: per kg,
//! per litre, per item), compound (both added) or mixed (ad valorem bounded by a specific
//! minimum and/or maximum). Tariff schedules, valuation, origin and declarations build on
//! this in later slices.

pub mod agencies;
pub mod clearance;
pub mod drawback;
pub mod duty;
pub mod reconciliation;
pub mod risk;
pub mod time_release;
