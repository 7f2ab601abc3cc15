//! Customs: what it costs to bring goods into an economy. [`duty`] computes the duty a
//! measure levies (ad valorem, specific, compound, mixed); [`tariff`] reads and validates an
//! economy's tariff schedule (lines by HS code and date, preferential agreements and proofs
//! of origin, import tax, de minimis, entry fees); [`landed_cost`] values a shipment for
//! customs (CIF or FOB, by Incoterm), and adds up duty, excise, import tax and fees with
//! every step explained, including for delivered-duty-paid retail parcels.

pub mod duty;
pub mod landed_cost;
pub mod tariff;
