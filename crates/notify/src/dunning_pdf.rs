//! The dunning notice (upomnienie) as a PDF.
