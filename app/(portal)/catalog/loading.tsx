export { default } from "../_page-loading";
