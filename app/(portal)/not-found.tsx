// An unknown service, team or deployment inside the portal: the Not found page within the signed-in shell.
export { default } from "../not-found";
