mod inspect;
mod plan;
