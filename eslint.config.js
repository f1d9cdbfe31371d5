export { default } from '@onbehalf/eslint-config'
