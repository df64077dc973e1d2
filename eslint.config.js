// One ESLint flat config for the whole monorepo, with type-aware typescript-eslint rules.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/coverage/**',
      '.eventscope/**',
      'test-output/**',
      '**/*.js',
      '**/*.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // Keys from outside (headers, attributes, error classes, event types) never index a plain object:
    // `constructor` or `__proto__` as a key broke the product three times. Use Map, or dict()/dictFrom()/
    // countBy()/ownGet() from collector/src/lib/safe-map.ts.
    files: ['collector/src/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "VariableDeclarator[init.type='ObjectExpression'][init.properties.length=0][id.typeAnnotation.typeAnnotation.typeName.name='Record']",
          message:
            'A Record built from {} is a map with a prototype: use a Map, or dict() from collector/src/lib/safe-map.ts.',
        },
        {
          selector: "TSAsExpression[expression.type='ObjectExpression'][expression.properties.length=0]",
          message: '`{} as ...` is a map with a prototype: use a Map, or dict() from collector/src/lib/safe-map.ts.',
        },
        {
          selector: "BinaryExpression[operator='in'][left.type!='Literal']",
          message: '`key in obj` also finds inherited members (constructor, toString): use Map.has or Object.hasOwn.',
        },
        {
          selector:
            "BinaryExpression[operator='+'] > LogicalExpression[operator='??'] > MemberExpression.left[computed=true]",
          message:
            '`(obj[key] ?? 0) + 1` counts in a plain object (obj.constructor is a function): use countBy() or a Map.',
        },
      ],
    },
  },
);
