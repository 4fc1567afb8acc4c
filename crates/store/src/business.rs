//! Business data: customer lifecycle spells, orders, contacts and loyalty membership.
